# survival::clogit answers for the conditional-logistic corpus (issue 20).
# Run from the repository root after make_corpus.py:  Rscript tests/results/clogit/clogit.R
# Writes clogit_reference.csv.gz: dataset, method, quantity, term, value. clogit passes its
# control to coxph: eps = 1e-11, iter.max = 100 (defaults 1e-9 and 20: a tolerance change only,
# as in tests/results/engines/corpus/cox.R). "warning" rows hold coxph's warnings.
suppressMessages(library(survival))
dir <- "tests/results/clogit"
data <- read.csv(gzfile(file.path(dir, "clogit_data.csv.gz")))
spec <- read.csv(file.path(dir, "clogit_spec.csv"))
out <- list()
add <- function(k, method, quantity, values, terms = names(values)) {
  if (is.null(terms)) terms <- rep("", length(values))
  out[[length(out) + 1]] <<- data.frame(dataset = k, method = method, quantity = quantity,
                                         term = terms, value = as.numeric(values))
}
for (i in seq_len(nrow(spec))) {
  k <- spec$dataset[i]
  d <- data[data$dataset == k, ]
  for (method in c("exact", "breslow", "efron")) {
    warn <- character(0)
    fit <- withCallingHandlers(
      tryCatch(clogit(case ~ x1 + x2 + x3 + strata(set), data = d, method = method,
                      control = coxph.control(eps = 1e-11, iter.max = 100, toler.inf = 1e-5)),
               error = function(e) e),
      warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
    if (inherits(fit, "error")) { add(k, method, "error", NA, conditionMessage(fit)); next }
    if (length(warn)) add(k, method, "warning", rep(NA, length(warn)), warn)
    add(k, method, "coef", coef(fit))
    add(k, method, "se", sqrt(pmax(diag(vcov(fit)), 0))[names(coef(fit))], names(coef(fit)))
    add(k, method, "loglik", fit$loglik, c("null", "fit"))
  }
}
res <- do.call(rbind, out)
write.csv(res, gzfile(file.path(dir, "clogit_reference.csv.gz")), row.names = FALSE)
cat("survival", as.character(packageVersion("survival")), ":", nrow(res), "numbers,",
    sum(res$quantity == "error"), "errors,",
    nrow(unique(res[res$quantity == "warning", c("dataset", "method")])), "fits with warnings\n")
