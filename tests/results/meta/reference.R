# metafor reference numbers for alspaincohort.meta_prevalence (issue 6).
# Run from the repository root after make_data.py:  Rscript tests/results/meta/reference.R
# Writes tests/results/meta/reference.csv: dataset, transform, method, test, quantity, value.
# Root-finding tolerances (Paule-Mandel, Q-profile) are set to 1e-12: metafor's default uniroot
# tolerance (.Machine$double.eps^0.25, about 1e-4) would limit agreement to ~1e-4.
suppressMessages(library(metafor))
dir <- "tests/results/meta"
out <- list()
add <- function(...) out[[length(out) + 1]] <<- data.frame(...)
measures <- c(logit = "PLO", double_arcsine = "PFT", raw = "PR")
for (dataset in c("studies", "edge_cases")) {
  d <- read.csv(file.path(dir, paste0(dataset, ".csv")))
  for (tr in names(measures)) {
    es <- escalc(measure = measures[[tr]], xi = events, ni = n, data = d)
    for (method in c("REML", "DL", "PM")) {
      for (test in c("z", "knha")) {
        fit <- rma(yi, vi, data = es, method = method, test = test,
                   control = list(threshold = 1e-12, maxiter = 1000, tol = 1e-12))
        back <- switch(tr, logit = transf.ilogit, raw = function(x) x,
                       double_arcsine = function(x) transf.ipft.hm(x, targs = list(ni = d$n)))
        pr <- predict(fit)
        ci <- confint(fit, control = list(tol = 1e-12))$random
        vals <- c(estimate = as.numeric(fit$b), se = fit$se, ci_low = fit$ci.lb,
                  ci_high = fit$ci.ub, pi_low = pr$pi.lb, pi_high = pr$pi.ub, tau2 = fit$tau2,
                  i2 = fit$I2, h2 = fit$H2, q = fit$QE, q_pvalue = fit$QEp,
                  p_estimate = back(as.numeric(fit$b)), p_ci_low = back(fit$ci.lb),
                  p_ci_high = back(fit$ci.ub), p_pi_low = back(pr$pi.lb),
                  p_pi_high = back(pr$pi.ub), tau2_ci_low = ci["tau^2", "ci.lb"],
                  tau2_ci_high = ci["tau^2", "ci.ub"], i2_ci_low = ci["I^2(%)", "ci.lb"],
                  i2_ci_high = ci["I^2(%)", "ci.ub"])
        if (method == "REML") vals <- c(vals, tau2_se = fit$se.tau2)
        add(dataset = dataset, transform = tr, method = method, test = test,
            quantity = names(vals), value = as.numeric(vals))
        add(dataset = dataset, transform = tr, method = method, test = test,
            quantity = paste0("yi_", seq_len(nrow(es))), value = as.numeric(es$yi))
        add(dataset = dataset, transform = tr, method = method, test = test,
            quantity = paste0("vi_", seq_len(nrow(es))), value = as.numeric(es$vi))
        add(dataset = dataset, transform = tr, method = method, test = test,
            quantity = paste0("weight_", seq_len(nrow(es))), value = as.numeric(weights(fit)))
        # subgroup (BPI-based vs other) and meta-regression on year
        for (mods in c("bpi", "year")) {
          mf <- rma(yi, vi, mods = as.formula(paste("~", mods)), data = es, method = method,
                    test = test, control = list(threshold = 1e-12, maxiter = 1000, tol = 1e-12))
          add(dataset = dataset, transform = tr, method = method, test = test,
              quantity = paste0(mods, "_", c("b0", "b1", "se0", "se1", "qm", "qmp", "tau2")),
              value = c(as.numeric(mf$b), mf$se, mf$QM, mf$QMp, mf$tau2))
        }
      }
    }
  }
}
res <- do.call(rbind, out)
write.csv(res, file.path(dir, "reference.csv"), row.names = FALSE)
cat("metafor", as.character(packageVersion("metafor")), ":", nrow(res), "reference numbers\n")
