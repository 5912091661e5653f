# R answers for the competing-risks and prediction corpus (issue 15).
# Run from the repository root after make_competing.py:
#   Rscript tests/results/prognosis/corpus/competing.R
# Writes competing_reference.csv.gz: dataset, quantity, term, value, where quantity is
#   aj_<cause>_{time,cif,std_err,lower,upper}: survfit(Surv(time, factor(cause)) ~ 1)'s
#       Aalen-Johansen curve of causes 1 and 2 at the event times of any cause (std.err is
#       survfit's infinitesimal-jackknife SE; limits conf.type "log", 95%);
#   fg_<ties>_{coef,naive_se,robust_se,loglik}: coxph(Surv(fgstart, fgstop, fgstatus) ~ x1 + x2,
#       weights = fgwt, cluster = id) on finegray(..., etype = "1") data, Efron and Breslow;
#       "fg_<ties>_warning" rows hold coxph's warnings (monotone likelihood);
#   harrell, uno: concordance(Surv(time, cause > 0) ~ score, reverse = TRUE), timewt "n" and
#       "n/G2" with ymax = at_2;
#   auc, brier (term = at_1 or at_2): riskRegression::Score(list(risk), Hist(time, status) ~ 1,
#       cens.model = "km", conservative = TRUE), all-cause status, at both times where cases
#       and controls exist;
#   zph_{chisq,df,p} (term = x1, x2, GLOBAL): cox.zph(coxph(Surv(time, cause > 0) ~ x1 + x2),
#       transform = "km").
# coxph runs with eps = 1e-11, iter.max = 100, as in tests/results/engines/corpus/cox.R.
suppressMessages({library(survival); library(riskRegression); library(prodlim)})
dir <- "tests/results/prognosis/corpus"
data <- read.csv(gzfile(file.path(dir, "competing_data.csv.gz")))
spec <- read.csv(file.path(dir, "competing_spec.csv"))
out <- list()
add <- function(k, quantity, values, terms = names(values)) {
  if (is.null(terms)) terms <- rep("", length(values))
  out[[length(out) + 1]] <<- data.frame(dataset = k, quantity = quantity, term = terms,
                                         value = as.numeric(values))
}
ctl <- coxph.control(eps = 1e-11, iter.max = 100, toler.inf = 1e-5)
quiet <- function(expr, tag, k) {
  warn <- character(0)
  val <- withCallingHandlers(tryCatch(expr, error = function(e) e),
    warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  if (inherits(val, "error")) { add(k, paste0(tag, "_error"), NA, conditionMessage(val)); return(NULL) }
  if (length(warn)) add(k, paste0(tag, "_warning"), rep(NA, length(warn)), warn)
  val
}
for (i in seq_len(nrow(spec))) {
  k <- spec$dataset[i]
  d <- data[data$dataset == k, ]
  d$status <- as.integer(d$cause > 0)
  if (any(d$cause > 0)) {
    f <- survfit(Surv(time, factor(cause, 0:2)) ~ 1, data = d)
    keep <- f$n.event[, 2] + f$n.event[, 3] > 0  # event times of any cause
    for (s in 1:2) {
      col <- s + 1
      add(k, paste0("aj_", s, "_time"), f$time[keep], "")
      add(k, paste0("aj_", s, "_cif"), f$pstate[keep, col], "")
      add(k, paste0("aj_", s, "_std_err"), f$std.err[keep, col], "")
      add(k, paste0("aj_", s, "_lower"), f$lower[keep, col], "")
      add(k, paste0("aj_", s, "_upper"), f$upper[keep, col], "")
    }
  }
  if (any(d$cause == 1)) {
    d$fstat <- factor(d$cause, 0:2)
    fg <- finegray(Surv(time, fstat) ~ ., data = d[, c("time", "fstat", "id", "x1", "x2")],
                   etype = "1")
    for (ties in c("efron", "breslow")) {
      tag <- paste0("fg_", ties)
      fit <- quiet(coxph(Surv(fgstart, fgstop, fgstatus) ~ x1 + x2, data = fg, weights = fgwt,
                         cluster = id, ties = ties, control = ctl), tag, k)
      if (is.null(fit)) next
      b <- coef(fit)
      add(k, paste0(tag, "_coef"), b)
      ok <- !is.na(b)
      se <- rep(NA, length(b)); names(se) <- names(b)
      nse <- se
      se[ok] <- sqrt(diag(fit$var)); nse[ok] <- sqrt(pmax(diag(fit$naive.var), 0))
      add(k, paste0(tag, "_robust_se"), se)
      add(k, paste0(tag, "_naive_se"), nse)
      add(k, paste0(tag, "_loglik"), fit$loglik, c("null", "fit"))
    }
  }
  if (sum(d$status) > 0 && nrow(d) > 1) {
    h <- quiet(concordance(Surv(time, status) ~ score, data = d, reverse = TRUE), "harrell", k)
    if (!is.null(h)) add(k, "harrell", h$concordance, "")
    u <- quiet(concordance(Surv(time, status) ~ score, data = d, reverse = TRUE,
                           timewt = "n/G2", ymax = spec$at_2[i]), "uno", k)
    if (!is.null(u)) add(k, "uno", u$concordance, "")
  }
  for (j in 1:2) {
    at <- spec[[paste0("at_", j)]][i]
    if (any(d$time <= at & d$status == 1) && any(d$time > at)) {
      r <- as.matrix(d[[paste0("risk_", j)]])
      sc <- quiet(Score(list(m = r), formula = Hist(time, status) ~ 1, data = d, times = at,
                        metrics = c("auc", "brier"), cens.model = "km", null.model = FALSE,
                        se.fit = FALSE, conservative = TRUE), "score", k)
      if (!is.null(sc)) {
        add(k, "auc", sc$AUC$score$AUC, paste0("at_", j))
        add(k, "brier", sc$Brier$score$Brier, paste0("at_", j))
      }
    }
  }
  if (sum(d$status) > 1) {
    fit <- quiet(coxph(Surv(time, status) ~ x1 + x2, data = d, control = ctl), "zph_cox", k)
    if (!is.null(fit) && !any(is.na(coef(fit)))) {
      z <- quiet(cox.zph(fit, transform = "km"), "zph", k)
      if (!is.null(z)) {
        add(k, "zph_chisq", z$table[, "chisq"], rownames(z$table))
        add(k, "zph_df", z$table[, "df"], rownames(z$table))
        add(k, "zph_p", z$table[, "p"], rownames(z$table))
      }
    }
  }
}
res <- do.call(rbind, out)
write.csv(res, gzfile(file.path(dir, "competing_reference.csv.gz")), row.names = FALSE)
cat("survival", as.character(packageVersion("survival")), "riskRegression",
    as.character(packageVersion("riskRegression")), ":", nrow(res), "numbers,",
    length(unique(res$dataset[grepl("warning|error", res$quantity)])),
    "datasets with warnings or errors\n")
