# R answers for the Table 1 group-test corpus (issue 15).
# Run from the repository root after make_group_tests.py:
#   Rscript tests/results/table_one/corpus/group_tests.R
# Writes reference.csv.gz: dataset, quantity, value, with quantity
#   normal_statistic / normal_p: t.test(var.equal = FALSE) for two groups, oneway.test(var.equal
#     = TRUE) for more (groups with fewer than two values left out);
#   rank_statistic / rank_p: wilcox.test (defaults: exact when n < 50 and no ties) for two
#     groups, kruskal.test for more;
#   chisq_statistic / chisq_p: chisq.test(correct = FALSE) on the table without empty rows and
#     columns; fisher_p: fisher.test on 2 x 2 tables; min_expected.
#   "<name>_error" rows (value NA) where R stops (e.g. t.test on constant data).
dir <- "tests/results/table_one/corpus"
cont <- read.csv(gzfile(file.path(dir, "continuous.csv.gz")))
tabs <- read.csv(gzfile(file.path(dir, "tables.csv.gz")))
spec <- read.csv(file.path(dir, "spec.csv"))
out <- list()
add <- function(k, quantity, value) out[[length(out) + 1]] <<- data.frame(dataset = k,
  quantity = quantity, value = as.numeric(value))
try_test <- function(k, name, expr) {
  r <- tryCatch(suppressWarnings(expr), error = function(e) e)
  if (inherits(r, "error")) { add(k, paste0(name, "_error"), NA); return() }
  add(k, paste0(name, "_statistic"), r$statistic); add(k, paste0(name, "_p"), r$p.value)
}
for (i in seq_len(nrow(spec))) {
  k <- spec$dataset[i]
  d <- cont[cont$dataset == k, ]
  sizes <- table(d$group)
  ok <- d[d$group %in% names(sizes)[sizes >= 2], ]
  ng <- length(unique(ok$group))
  if (ng >= 2) {
    if (spec$groups[i] == 2) {
      x <- ok$value[ok$group == 0]; y <- ok$value[ok$group == 1]
      try_test(k, "normal", t.test(x, y, var.equal = FALSE))
      try_test(k, "rank", wilcox.test(x, y))
    } else {
      ok$group <- factor(ok$group)
      try_test(k, "normal", oneway.test(value ~ group, data = ok, var.equal = TRUE))
      try_test(k, "rank", kruskal.test(value ~ group, data = ok))
    }
  }
  t <- tabs[tabs$dataset == k, ]
  m <- matrix(0, max(t$row) + 1, max(t$col) + 1)
  m[cbind(t$row + 1, t$col + 1)] <- t$count
  m <- m[rowSums(m) > 0, colSums(m) > 0, drop = FALSE]
  if (nrow(m) >= 2 && ncol(m) >= 2) {
    try_test(k, "chisq", chisq.test(m, correct = FALSE))
    add(k, "min_expected", min(outer(rowSums(m), colSums(m)) / sum(m)))
    if (all(dim(m) == 2)) add(k, "fisher_p", fisher.test(m)$p.value)
  }
}
res <- do.call(rbind, out)
write.csv(res, gzfile(file.path(dir, "reference.csv.gz")), row.names = FALSE)
cat(R.version.string, ":", nrow(res), "numbers,", sum(grepl("_error", res$quantity)), "errors\n")
