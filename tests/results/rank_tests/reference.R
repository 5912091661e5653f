# R wilcox.test answers for the rank-test corpus (issue 15); defaults throughout (exact when
# n < 50 without ties, else normal approximation with continuity correction; zeros dropped).
# Run from the repository root after make_data.py. Writes reference.csv.
d <- read.csv(gzfile("tests/results/rank_tests/data.csv.gz"))
out <- list()
for (k in unique(d$dataset)) {
  x <- d$value[d$dataset == k & d$sample == "x"]
  y <- d$value[d$dataset == k & d$sample == "y"]
  z <- d$value[d$dataset == k & d$sample == "z"]
  r <- suppressWarnings(wilcox.test(x, y))
  p <- tryCatch(suppressWarnings(wilcox.test(x, z, paired = TRUE)),
                error = function(e) list(statistic = NA, p.value = NA))
  out[[length(out) + 1]] <- data.frame(dataset = k, w = unname(r$statistic), p_w = r$p.value,
                                       v = unname(p$statistic), p_v = p$p.value)
}
write.csv(do.call(rbind, out), "tests/results/rank_tests/reference.csv", row.names = FALSE)
