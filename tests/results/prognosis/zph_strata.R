# cox.zph with a covariate constant within one stratum (issue 15): R gives NA residuals for
# that covariate in that stratum and rescales the others. Data: zph_strata_data.csv (150
# subjects, 2 strata, x constant (1.5) in stratum 0; drawn with NumPy, seed 5, as in the test).
# Run from the repository root: Rscript tests/results/prognosis/zph_strata.R
suppressMessages(library(survival))
d <- read.csv("tests/results/prognosis/zph_strata_data.csv")
f <- coxph(Surv(start, stop, event) ~ x + z + strata(s), data = d)
out <- list()
for (tr in c("km", "identity")) {
  z <- cox.zph(f, transform = tr)
  out[[length(out) + 1]] <- data.frame(transform = tr, time = z$time, x = z$y[, "x"],
                                       z = z$y[, "z"], tt = z$x)
  out[[length(out) + 1]] <- data.frame(transform = tr, time = NA, x = z$table[, "chisq"][1],
                                       z = z$table[, "chisq"][2], tt = z$table[, "chisq"][3])
}
write.csv(do.call(rbind, out), "tests/results/prognosis/zph_strata_reference.csv",
          row.names = FALSE)
