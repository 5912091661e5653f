# metafor answers at a 90% level for the meta-regression and per-subgroup pooling, and for a
# single-study subgroup (issue 15: level was ignored there; k = 1 gave NaN CIs).
# Run from the repository root:  Rscript tests/results/meta/level.R  -> level.csv
suppressMessages(library(metafor))
d <- read.csv("tests/results/meta/studies.csv")
es <- escalc(measure = "PLO", xi = events, ni = n, data = d)
out <- list()
add <- function(...) out[[length(out) + 1]] <<- data.frame(...)
ctrl <- list(threshold = 1e-12, maxiter = 1000, tol = 1e-12)
for (test in c("z", "knha")) {
  m <- rma(yi, vi, mods = ~ year, data = es, method = "REML", test = test, level = 90, control = ctrl)
  add(what = "regression", test = test, term = c("intercept", "year"),
      estimate = as.numeric(m$b), ci_low = m$ci.lb, ci_high = m$ci.ub)
  # subgroups: the first study alone, the others together
  grp <- ifelse(seq_len(nrow(es)) == 1, "a", "b")
  for (g in c("a", "b")) {
    s <- suppressWarnings(rma(yi, vi, data = es[grp == g, ], method = "REML",
                              test = if (g == "a") "z" else test, level = 90, control = ctrl))
    add(what = paste0("subgroup_", g), test = test, term = "pooled",
        estimate = transf.ilogit(as.numeric(s$b)), ci_low = transf.ilogit(s$ci.lb),
        ci_high = transf.ilogit(s$ci.ub))
  }
}
write.csv(do.call(rbind, out), "tests/results/meta/level.csv", row.names = FALSE)
