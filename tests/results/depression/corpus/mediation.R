# R lm answers for the mediation point-estimate corpus (issue 15).
# Run from the repository root after make_mediation.py:
#   Rscript tests/results/depression/corpus/mediation.R
# Writes mediation_reference.csv.gz: dataset, quantity, value: a (x in lm(m ~ x + age +
# site)), b and direct (m and x in lm(y ~ x + m + age + site)), indirect = a b, total,
# proportion = indirect / total; "aliased" = 1 where lm reports an NA coefficient (then no
# effects are written: ours must refuse the design). site is a factor of the levels present.
dir <- "tests/results/depression/corpus"
data <- read.csv(gzfile(file.path(dir, "mediation_data.csv.gz")))
spec <- read.csv(file.path(dir, "mediation_spec.csv"))
out <- list()
add <- function(k, quantity, value) out[[length(out) + 1]] <<- data.frame(dataset = k,
  quantity = quantity, value = as.numeric(value))
for (i in seq_len(nrow(spec))) {
  k <- spec$dataset[i]
  d <- data[data$dataset == k, ]
  d$site <- factor(d$site)
  f1 <- if (nlevels(d$site) > 1) m ~ x + age + site else m ~ x + age
  f2 <- if (nlevels(d$site) > 1) y ~ x + m + age + site else y ~ x + m + age
  fm <- lm(f1, data = d); fy <- lm(f2, data = d)
  if (anyNA(coef(fm)) || anyNA(coef(fy)) || fm$df.residual < 1 || fy$df.residual < 1) {
    add(k, "aliased", 1); next
  }
  a <- coef(fm)[["x"]]; b <- coef(fy)[["m"]]; direct <- coef(fy)[["x"]]
  add(k, c("a", "b", "direct", "indirect", "total", "proportion"),
      c(a, b, direct, a * b, direct + a * b, a * b / (direct + a * b)))
}
res <- do.call(rbind, out)
write.csv(res, gzfile(file.path(dir, "mediation_reference.csv.gz")), row.names = FALSE)
cat(R.version.string, ":", nrow(res), "numbers,", sum(res$quantity == "aliased"), "aliased\n")
