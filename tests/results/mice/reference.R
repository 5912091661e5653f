# mice::pool.scalar answers (Rubin's rules, Barnard-Rubin df with n - k complete-data df; n =
# Inf gives Rubin 1987) for the pooling corpus (issue 15). mice 3.15.0.
# Run from the repository root after make_data.py. Writes pool_reference.csv.
suppressMessages(library(mice))
d <- read.csv("tests/results/mice/pool_input.csv")
spec <- read.csv("tests/results/mice/pool_spec.csv")
out <- list()
for (i in seq_len(nrow(spec))) {
  s <- spec$set[i]
  x <- d[d$set == s, ]
  r <- pool.scalar(x$q, x$u, n = spec$n[i], k = spec$k[i])
  out[[i]] <- data.frame(set = s, qbar = r$qbar, ubar = r$ubar, b = r$b, t = r$t, df = r$df,
                         r = r$r, fmi = r$fmi)
}
write.csv(do.call(rbind, out), "tests/results/mice/pool_reference.csv", row.names = FALSE)
