# References for alspaincohort.analysis.prognosis (issue 9): log-rank tests by
# survival::survdiff (plain and stratified by onset site) and cumulative incidence by
# cmprsk::cuminc (tied event times included). Times are days, so ties occur.
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
