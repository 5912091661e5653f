# survival::coxph answers for the Cox corpus (issue 15).
# Run from the repository root after make_cox.py:  Rscript tests/results/engines/corpus/cox.R
# Writes cox_reference.csv.gz: dataset, quantity, term, value. coxph runs with eps = 1e-11 and
# iter.max = 100 (defaults 1e-9 and 20: a change of convergence tolerance only, as in
# tests/results/engines/reference.R). Strata: strata(s) when the dataset has more than one.
# "warning" rows hold coxph's warnings (non-convergence, infinite coefficients).
suppressMessages(library(survival))
dir <- "tests/results/engines/corpus"
data <- read.csv(gzfile(file.path(dir, "cox_data.csv.gz")))
spec <- read.csv(file.path(dir, "cox_spec.csv"))
out <- list()
add <- function(k, quantity, values, terms = names(values)) {
  if (is.null(terms)) terms <- rep("", length(values))
  out[[length(out) + 1]] <<- data.frame(dataset = k, quantity = quantity, term = terms,
                                         value = as.numeric(values))
}
for (i in seq_len(nrow(spec))) {
  k <- spec$dataset[i]
  d <- data[data$dataset == k, ]
  f <- if (spec$strata[i] > 1) Surv(start, stop, event) ~ x1 + x2 + x3 + strata(s)
       else Surv(start, stop, event) ~ x1 + x2 + x3
  warn <- character(0)
  fit <- withCallingHandlers(
    tryCatch(coxph(f, data = d, ties = spec$method[i], robust = as.logical(spec$robust[i]),
                   cluster = if (as.logical(spec$robust[i])) id else NULL,
                   control = coxph.control(eps = 1e-11, iter.max = 100, toler.inf = 1e-5)),
             error = function(e) e),
    warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  if (inherits(fit, "error")) { add(k, "error", NA, conditionMessage(fit)); next }
  if (length(warn)) add(k, "warning", rep(NA, length(warn)), warn)
  add(k, "coef", coef(fit))
  add(k, "se", sqrt(diag(vcov(fit)))[names(coef(fit))] , names(coef(fit)))
  nv <- if (is.null(fit$naive.var)) fit$var else fit$naive.var
  add(k, "naive_se", sqrt(pmax(diag(nv), 0)), names(coef(fit)))
  add(k, "loglik", fit$loglik, c("null", "fit"))
  add(k, "score_test", fit$score, "")
  add(k, "iter", fit$iter, "")
  add(k, "nevent", fit$nevent, "")
}
res <- do.call(rbind, out)
write.csv(res, gzfile(file.path(dir, "cox_reference.csv.gz")), row.names = FALSE)
cat("survival", as.character(packageVersion("survival")), ":", nrow(res), "numbers,",
    sum(res$quantity == "error"), "errors,", length(unique(res$dataset[res$quantity == "warning"])),
    "datasets with warnings\n")
