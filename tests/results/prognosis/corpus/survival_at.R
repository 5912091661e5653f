# R answers for survival at chosen times (issue 18: kaplan_meier(times=) and
# stats.survival.survival_at) on the Kaplan-Meier corpus of survival.R.
# Run from the repository root after make_survival.py:
#   Rscript tests/results/prognosis/corpus/survival_at.R
# Writes survival_at.csv.gz: dataset, conf_type, time, surv, lower, upper from
# summary(survfit(Surv(entry, time, event) ~ 1), times = probes), where the probes are 0, the
# 25th, 50th and 90th percentiles of the exit times (type 1: observed values) and the last exit
# time: on an event time, between event times, before the first and at the end of follow-up.
suppressMessages(library(survival))
dir <- "tests/results/prognosis/corpus"
data <- read.csv(gzfile(file.path(dir, "survival_data.csv.gz")))
spec <- read.csv(file.path(dir, "survival_spec.csv"))
out <- list()
for (k in spec$dataset) {
  d <- data[data$dataset == k, ]
  probes <- sort(unique(c(0, quantile(d$time, c(0.25, 0.5, 0.9), type = 1, names = FALSE),
                          max(d$time))))
  for (ct in c("log", "log-log")) {
    f <- survfit(Surv(entry, time, event) ~ 1, data = d, conf.type = ct)
    s <- summary(f, times = probes)
    out[[length(out) + 1]] <- data.frame(dataset = k, conf_type = ct, time = s$time,
                                         surv = s$surv, lower = s$lower, upper = s$upper)
  }
}
res <- do.call(rbind, out)
write.csv(res, gzfile(file.path(dir, "survival_at.csv.gz")), row.names = FALSE)
cat("survival", as.character(packageVersion("survival")), ":", nrow(res), "rows\n")
