# References for alspaincohort.analysis.depression (issue 7): OLS with HC3 sandwich SEs
# (sandwich::vcovHC default type) and logLik-based LR tests; GEE by geepack::geeglm with
# exchangeable and AR(1) working correlation (tolerance tightened from 1e-4 to 1e-12).
# Run from the repository root after make_data.py: Rscript tests/results/depression/reference.R
suppressMessages({library(sandwich); library(geepack)})
dir <- "tests/results/depression"
out <- list()
add <- function(data, model, method, q, term, v) out[[length(out) + 1]] <<-
  data.frame(data = data, model = model, method = method, quantity = q, term = term, value = v)
rhs <- list(unadjusted = "vas_pain",
            covariates = "vas_pain + age_at_onset + sex + onset_site + alsfrs_r",
            depression = "vas_pain + age_at_onset + sex + onset_site + alsfrs_r + hads_d",
            interaction = "vas_pain + age_at_onset + sex + onset_site + alsfrs_r + hads_d + vas_pain:hads_d")
b <- read.csv(file.path(dir, "baseline.csv"))
for (m in names(rhs)) {
  f <- lm(as.formula(paste("alsaq40 ~", rhs[[m]])), data = b)
  add("baseline", m, "ols", "coef", names(coef(f)), coef(f))
  add("baseline", m, "ols", "se_hc3", names(coef(f)), sqrt(diag(vcovHC(f, type = "HC3"))))
  add("baseline", m, "ols", "loglik", "", as.numeric(logLik(f)))
}
r <- read.csv(file.path(dir, "repeated.csv"))
r$pid <- as.integer(factor(r$patient_id, levels = unique(r$patient_id)))
for (cs in c("exchangeable", "ar1")) {
  for (m in names(rhs)) {
    f <- geeglm(as.formula(paste("alsaq40 ~", rhs[[m]])), id = pid, data = r, corstr = cs,
                control = geese.control(epsilon = 1e-12, maxit = 500))
    s <- summary(f)
    add("repeated", m, cs, "coef", names(coef(f)), coef(f))
    add("repeated", m, cs, "se_robust", names(coef(f)), s$coefficients[, "Std.err"])
    add("repeated", m, cs, "alpha", "", s$corr[1, 1])
  }
}
res <- do.call(rbind, out)
write.csv(res, file.path(dir, "reference.csv"), row.names = FALSE)
cat("sandwich", as.character(packageVersion("sandwich")), "geepack",
    as.character(packageVersion("geepack")), ":", nrow(res), "reference numbers\n")
