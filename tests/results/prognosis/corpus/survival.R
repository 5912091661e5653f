# R answers for the Kaplan-Meier / log-rank corpus (issue 15).
# Run from the repository root after make_survival.py:
#   Rscript tests/results/prognosis/corpus/survival.R
# Writes
#   km.csv.gz:      dataset, conf_type, time, n_risk, n_event, n_censor, surv, std_err, lower,
#                   upper  (survfit(Surv(entry, time, event) ~ 1), conf.type "log" and
#                   "log-log"; std_err is survfit's, on the cumulative-hazard scale)
#   summary.csv.gz: dataset, quantity, term, value: median and its CI (quantile.survfit) per
#                   conf type; the log-rank statistic, observed and expected per group,
#                   unstratified and stratified.
#
# The log-rank test with delayed entry: survdiff accepts right-censored data only, so the
# statistic is computed here from its definition on (entry, time] risk sets (observed minus
# expected events per group, hypergeometric variance, summed over strata), the score test of
# the Cox model with exact (discrete) ties at beta = 0. Two checks of that definition are
# written too: survdiff where no subject enters late ("survdiff") and coxph(ties = "exact")'s
# score test on the small datasets where its exact likelihood is affordable ("coxph_exact").
suppressMessages(library(survival))
dir <- "tests/results/prognosis/corpus"
data <- read.csv(gzfile(file.path(dir, "survival_data.csv.gz")))
spec <- read.csv(file.path(dir, "survival_spec.csv"))
km <- list(); out <- list()
add <- function(k, quantity, values, terms = names(values)) {
  if (is.null(terms)) terms <- rep("", length(values))
  out[[length(out) + 1]] <<- data.frame(dataset = k, quantity = quantity, term = terms,
                                         value = as.numeric(values))
}
logrank <- function(d) {
  groups <- sort(unique(d$group))
  k <- length(groups)
  O <- E <- numeric(k); V <- matrix(0, k, k)
  for (s in unique(d$stratum)) {
    ds <- d[d$stratum == s, ]
    times <- sort(unique(ds$time[ds$event == 1]))
    for (t in times) {
      risk <- ds$entry < t & ds$time >= t
      dead <- ds$time == t & ds$event == 1
      n_j <- sapply(groups, function(g) sum(risk & ds$group == g))
      d_j <- sapply(groups, function(g) sum(dead & ds$group == g))
      n <- sum(n_j); dd <- sum(d_j)
      O <- O + d_j; E <- E + dd * n_j / n
      if (n > 1) {
        w <- dd * (n - dd) / (n - 1)
        V <- V + w * (diag(n_j / n, k) - outer(n_j / n, n_j / n))
      }
    }
  }
  # as survdiff: groups with no expected events (never at risk at an event time) are left out,
  # and the degrees of freedom are the remaining groups less one
  keep <- E > 0
  m <- sum(keep)
  diff <- (O - E)[keep][-m]
  # NA where the test does not exist: fewer than two groups with expected events (survdiff
  # returns 0 on 0 df) or a singular variance (survdiff stops with an error)
  stat <- if (m > 1) tryCatch(
    as.numeric(t(diff) %*% solve(V[keep, keep][-m, -m, drop = FALSE], diff)),
    error = function(e) NA) else NA
  list(stat = stat, O = O, E = E, df = m - 1)
}
for (i in seq_len(nrow(spec))) {
  k <- spec$dataset[i]
  d <- data[data$dataset == k, ]
  for (ct in c("log", "log-log")) {
    f <- survfit(Surv(entry, time, event) ~ 1, data = d, conf.type = ct)
    km[[length(km) + 1]] <- data.frame(dataset = k, conf_type = ct, time = f$time,
      n_risk = f$n.risk, n_event = f$n.event, n_censor = f$n.censor, surv = f$surv,
      std_err = f$std.err, lower = f$lower, upper = f$upper)
    q <- quantile(f, 0.5)
    add(k, paste0("median_", ct), c(q$quantile, q$lower, q$upper), c("median", "lower", "upper"))
  }
  if (spec$groups[i] > 1 && length(unique(d$group)) > 1 && sum(d$event) > 0) {
    for (strat in c(FALSE, TRUE)) {
      dd <- d
      if (!strat) dd$stratum <- 0
      lr <- logrank(dd)
      tag <- if (strat) "logrank_strat" else "logrank"
      add(k, tag, c(lr$stat, lr$df), c("statistic", "df"))
      add(k, paste0(tag, "_observed"), lr$O, sort(unique(d$group)))
      add(k, paste0(tag, "_expected"), lr$E, sort(unique(d$group)))
      if (all(d$entry == 0)) {
        sd <- tryCatch(if (strat) survdiff(Surv(time, event) ~ group + strata(stratum), data = d)
                       else survdiff(Surv(time, event) ~ group, data = d),
                       error = function(e) list(chisq = NA))
        add(k, paste0(tag, "_survdiff"), sd$chisq, "statistic")
      }
      if (nrow(d) <= 30) {
        cf <- if (strat) coxph(Surv(entry, time, event) ~ factor(group) + strata(stratum),
                               data = d, ties = "exact", iter.max = 0)
              else coxph(Surv(entry, time, event) ~ factor(group), data = d, ties = "exact",
                         iter.max = 0)
        add(k, paste0(tag, "_coxph_exact"), cf$score, "statistic")
      }
    }
  }
}
write.csv(do.call(rbind, km), gzfile(file.path(dir, "km.csv.gz")), row.names = FALSE)
res <- do.call(rbind, out)
write.csv(res, gzfile(file.path(dir, "summary.csv.gz")), row.names = FALSE)
cat("survival", as.character(packageVersion("survival")), ":", nrow(res), "summary numbers\n")
