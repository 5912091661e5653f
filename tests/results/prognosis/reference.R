# References for alspaincohort.analysis.prognosis (issue 9): log-rank tests by
# survival::survdiff (plain and stratified by onset site) and cumulative incidence by
# cmprsk::cuminc (tied event times included). Times are days, so ties occur.
# Then: Fine-Gray by survival::finegray + weighted coxph (naive and robust-by-subject SEs, Efron
# and Breslow) and by cmprsk::crr on tie-free times; cox.zph tests and scaled Schoenfeld
# residuals; Harrell's and Uno's C by survival::concordance; IPCW time-dependent AUC and Brier
# score by riskRegression::Score. Needs r-cran-survival, r-cran-cmprsk, r-cran-riskregression.
# Run from the repository root after make_data.py: Rscript tests/results/prognosis/reference.R
suppressMessages({library(survival); library(cmprsk)})
dir <- "tests/results/prognosis"
d <- read.csv(file.path(dir, "survival.csv"))
out <- list()
add <- function(q, term, v) out[[length(out) + 1]] <<- data.frame(quantity = q, term = term, value = v)
s1 <- survdiff(Surv(time, event) ~ pain, data = d)
add("logrank", "chisq", s1$chisq); add("logrank_obs", names(s1$n), s1$obs); add("logrank_exp", names(s1$n), s1$exp)
s2 <- survdiff(Surv(time, event) ~ pain + strata(site), data = d)
add("logrank_strat", "chisq", s2$chisq)
s3 <- survdiff(Surv(time, event) ~ site, data = d)
add("logrank_site", "chisq", s3$chisq)
ci <- cuminc(d$ctime, d$cause, cencode = 0)
for (k in c("1 1", "1 2")) {
  e <- ci[[k]]
  keep <- !duplicated(e$time, fromLast = TRUE)  # the value after each jump
  add(paste0("cif_", sub(" ", "_", k)), e$time[keep], e$est[keep])
}
res <- do.call(rbind, out)
write.csv(res, file.path(dir, "reference.csv"), row.names = FALSE)
cat("survival", as.character(packageVersion("survival")), "cmprsk", as.character(packageVersion("cmprsk")), ":", nrow(res), "reference numbers\n")

# ---- Fine-Gray, PH tests, concordance, time-dependent AUC and Brier (appended; same output) --
suppressMessages(library(riskRegression))
res <- list()
add2 <- function(q, term, v) res[[length(res) + 1]] <<- data.frame(quantity = q, term = term, value = v)
dd <- d[d$ctime > 0, ]
dd$id <- seq_len(nrow(dd))
dd$cf <- factor(dd$cause, 0:2, c("censor", "death", "autonomy"))
covs <- c("vas", "age", "bulbar", "fvc")
ctl <- coxph.control(eps = 1e-12, iter.max = 50, toler.chol = 1e-15)
for (et in c("death", "autonomy")) {
  fg <- finegray(Surv(ctime, cf) ~ ., data = dd[, c("ctime", "cf", "id", covs)], etype = et)
  per_id <- aggregate(cbind(n = 1, w = fg$fgwt, wt = fg$fgwt * (fg$fgstop - fg$fgstart)) ~ id, data = fg, FUN = sum)
  add2(paste0("fg_rows_", et), per_id$id, per_id$n)
  add2(paste0("fg_wsum_", et), per_id$id, per_id$w)
  add2(paste0("fg_wtime_", et), per_id$id, per_id$wt)
  for (ties in c("efron", "breslow")) {
    f <- coxph(Surv(fgstart, fgstop, fgstatus) ~ vas + age + bulbar + fvc, weights = fgwt, data = fg,
               ties = ties, control = ctl, robust = FALSE)
    add2(paste0("fg_coef_", et, "_", ties), names(coef(f)), coef(f))
    add2(paste0("fg_se_", et, "_", ties), names(coef(f)), sqrt(diag(f$var)))
    add2(paste0("fg_loglik_", et, "_", ties), c("null", "fit"), f$loglik)
    fr <- coxph(Surv(fgstart, fgstop, fgstatus) ~ vas + age + bulbar + fvc + cluster(id), weights = fgwt,
                data = fg, ties = ties, control = ctl)
    add2(paste0("fg_robse_", et, "_", ties), names(coef(fr)), sqrt(diag(fr$var)))
  }
  if (et == "death") {
    z <- cox.zph(f)  # the weighted (Breslow) Fine-Gray fit
    add2("zph_fg_chisq", rownames(z$table), z$table[, "chisq"])
  }
}
# cause-specific Cox (the other cause censored)
for (k in 1:2) {
  f <- coxph(Surv(ctime, cause == k) ~ vas + age + bulbar + fvc, data = dd, control = ctl)
  add2(paste0("cs_coef_", k), names(coef(f)), coef(f))
  add2(paste0("cs_se_", k), names(coef(f)), sqrt(diag(f$var)))
}
# tie-free times: finegray + coxph against cmprsk::crr
fgc <- finegray(Surv(ctime_cont, cf) ~ ., data = dd[, c("ctime_cont", "cf", "id", covs)], etype = "death")
# (the robust variance clustered by subject; crr's variance is close to it, not equal)
f <- coxph(Surv(fgstart, fgstop, fgstatus) ~ vas + age + bulbar + fvc + cluster(id), weights = fgwt,
           data = fgc, control = ctl)
add2("fgcont_coef", names(coef(f)), coef(f))
add2("fgcont_robse", names(coef(f)), sqrt(diag(f$var)))
cr <- crr(dd$ctime_cont, dd$cause, cov1 = as.matrix(dd[, covs]), failcode = 1, cencode = 0,
          gtol = 1e-10, maxiter = 100)
add2("crr_coef", covs, cr$coef)
add2("crr_se", covs, sqrt(diag(cr$var)))

# proportional hazards: cox.zph on the time-varying pain model and a baseline model
tv <- read.csv(file.path(dir, "tv.csv"))
for (ties in c("efron", "breslow")) {
  f <- coxph(Surv(start, stop, event) ~ pain + age_at_onset + bulbar, data = tv, ties = ties, control = ctl)
  for (tr in c("km", "identity", "rank", "log")) {
    z <- cox.zph(f, transform = tr)
    add2(paste0("zph_tv_", ties, "_", tr, "_chisq"), rownames(z$table), z$table[, "chisq"])
    if (tr == "km" && ties == "efron") {
      add2("zph_tv_x", seq_along(z$x), z$x)
      add2("zph_tv_time", seq_along(z$time), z$time)
      for (v in colnames(z$y)) add2(paste0("zph_tv_y_", v), seq_along(z$x), z$y[, v])
    }
  }
}
fb <- coxph(Surv(time, event) ~ vas + age + bulbar + fvc, data = dd, control = ctl)
z <- cox.zph(fb)
add2("zph_base_chisq", rownames(z$table), z$table[, "chisq"])

# concordance (Harrell and Uno) of the baseline model's linear predictor
lp <- predict(fb, type = "lp")
add2("conc_harrell", "C", concordance(Surv(time, event) ~ lp, data = dd, reverse = TRUE)$concordance)
for (tau in c(365, 730)) {
  add2("conc_uno", tau, concordance(Surv(time, event) ~ lp, data = dd, reverse = TRUE,
                                    timewt = "n/G2", ymax = tau)$concordance)
}
add2("conc_uno", "none", concordance(Surv(time, event) ~ lp, data = dd, reverse = TRUE,
                                     timewt = "n/G2")$concordance)
add2("conc_tv", "C", concordance(coxph(Surv(start, stop, event) ~ pain + age_at_onset + bulbar,
                                       data = tv, control = ctl))$concordance)
# predicted risk at 365 and 730 days, then IPCW time-dependent AUC and Brier score
bh <- basehaz(fb, centered = FALSE)
H <- sapply(c(365, 730), function(t) { i <- findInterval(t, bh$time); if (i == 0) 0 else bh$hazard[i] })
eta <- as.vector(as.matrix(dd[, covs]) %*% coef(fb))
risk <- 1 - exp(-outer(exp(eta), H))
add2("risk_365", dd$id, risk[, 1]); add2("risk_730", dd$id, risk[, 2])
sc <- Score(list(cox = risk), formula = Hist(time, event) ~ 1, data = dd, times = c(365, 730),
            metrics = c("auc", "brier"), cens.model = "km", null.model = FALSE, se.fit = FALSE,
            conservative = TRUE)
add2("auc", sc$AUC$score$times, sc$AUC$score$AUC)
add2("brier", sc$Brier$score$times, sc$Brier$score$Brier)
res2 <- do.call(rbind, res)
write.csv(rbind(read.csv(file.path(dir, "reference.csv")), res2), file.path(dir, "reference.csv"), row.names = FALSE)
cat("riskRegression", as.character(packageVersion("riskRegression")), ":", nrow(res2), "more reference numbers\n")
