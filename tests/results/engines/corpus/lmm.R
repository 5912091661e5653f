# lme4 answers for the linear-mixed-model corpus (issue 15).
# Run from the repository root after make_lmm.py:  Rscript tests/results/engines/corpus/lmm.R
# Writes lmm_reference.csv.gz: dataset, quantity, term, value (quantity "error" holds lme4's
# error message in term when it refuses a dataset).
#
# lme4's default nloptwrap tolerances stop ~1e-6 short of the optimum; as in
# tests/results/engines/reference.R, bobyqa runs with rhoend = 1e-12 (a change of convergence
# tolerance only). The deviance is lme4's criterion: REML criterion or -2 log-likelihood.
suppressMessages(library(lme4))
dir <- "tests/results/engines/corpus"
data <- read.csv(gzfile(file.path(dir, "lmm_data.csv.gz")))
spec <- read.csv(file.path(dir, "lmm_spec.csv"))
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e6),
                    check.conv.singular = "ignore", check.conv.grad = "ignore",
                    check.conv.hess = "ignore")
out <- list()
add <- function(k, quantity, values, terms = names(values)) {
  if (is.null(terms)) terms <- rep("", length(values))
  out[[length(out) + 1]] <<- data.frame(dataset = k, quantity = quantity, term = terms,
                                         value = as.numeric(values))
}
for (i in seq_len(nrow(spec))) {
  k <- spec$dataset[i]
  d <- data[data$dataset == k, ]
  d$f <- factor(d$f)
  d$g <- factor(d$g)
  form <- if (spec$random[i] == "intercept") y ~ x + f + t + (1 | g) else y ~ x + f + t + (t | g)
  fit <- tryCatch(lmer(form, data = d, REML = as.logical(spec$reml[i]), control = ctrl),
                  error = function(e) e)
  if (inherits(fit, "error")) {
    add(k, "error", NA, conditionMessage(fit))
    next
  }
  add(k, "deviance", if (as.logical(spec$reml[i])) REMLcrit(fit) else deviance(fit), "")
  add(k, "theta", getME(fit, "theta"), seq_along(getME(fit, "theta")) - 1)
  add(k, "fixef", fixef(fit))
  # vcov() refuses a numerically indefinite matrix; this is its unscaled form sigma^2 (RX'RX)^-1
  add(k, "se", sqrt(diag(sigma(fit)^2 * chol2inv(getME(fit, "RX")))), names(fixef(fit)))
  add(k, "sigma2", sigma(fit)^2, "")
  vc <- as.data.frame(VarCorr(fit))
  vc <- vc[vc$grp != "Residual", ]
  add(k, "vcov_re", vc$vcov, paste(vc$var1, ifelse(is.na(vc$var2), vc$var1, vc$var2), sep = ":"))
  add(k, "loglik", as.numeric(logLik(fit)), "")
  add(k, "singular", as.numeric(isSingular(fit)), "")
}
res <- do.call(rbind, out)
write.csv(res, gzfile(file.path(dir, "lmm_reference.csv.gz")), row.names = FALSE)
cat("lme4", as.character(packageVersion("lme4")), ":", nrow(res), "numbers,",
    sum(res$quantity == "error"), "datasets refused\n")
