# metafor and stats answers for the meta-analysis / proportion-CI corpus (issue 15).
# Run from the repository root after make_meta.py:  Rscript tests/results/meta/corpus/meta.R
# Writes meta_reference.csv.gz: dataset, transform, method, test, model, quantity, value.
#   model "none": rma(yi, vi) per escalc measure (PLO, PFT, PR) x method (REML, DL, PM) x test
#     (z, knha): b, se, tau2, QE, I2, H2, and the Q-profile CI of tau^2 (k >= 2);
#   model "year" / "group": rma(yi, vi, mods = ~ moderator): b0, b1, se0, se1, tau2, QM, QMp;
#     "warning"/"error" rows hold metafor's messages (a moderator with an empty level is
#     dropped by metafor with a warning: ours must refuse it instead);
#   transform "ci": per study, method wilson (prop.test, correct = FALSE), clopper-pearson
#     (binom.test) and jeffreys (qbeta, 0 / 1 at x = 0 / n): quantity lo_<study>, hi_<study>.
# Tolerances of the iterative parts are 1e-12 (metafor's defaults would limit agreement); the
# Q-profile search runs up to tau2.max = 1e7 (its default, 100, truncates the upper limit).
suppressMessages(library(metafor))
dir <- "tests/results/meta/corpus"
data <- read.csv(gzfile(file.path(dir, "meta_data.csv.gz")))
spec <- read.csv(file.path(dir, "meta_spec.csv"))
out <- list()
add <- function(k, tr, method, test, model, quantity, value) {
  out[[length(out) + 1]] <<- data.frame(dataset = k, transform = tr, method = method,
    test = test, model = model, quantity = quantity, value = as.numeric(value))
}
ctl <- list(threshold = 1e-12, maxiter = 1000, tol = 1e-12)
run <- function(expr, k, tr, method, test, model) {
  warn <- character(0)
  val <- withCallingHandlers(tryCatch(expr, error = function(e) e),
    warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  for (w in warn) add(k, tr, method, test, model, paste0("warning: ", w), NA)
  if (inherits(val, "error")) {
    add(k, tr, method, test, model, paste0("error: ", conditionMessage(val)), NA); return(NULL)
  }
  val
}
measures <- c(logit = "PLO", double_arcsine = "PFT", raw = "PR")
for (i in seq_len(nrow(spec))) {
  k <- spec$dataset[i]
  d <- data[data$dataset == k, ]
  for (s in seq_len(nrow(d))) {
    x <- d$events[s]; n <- d$n[s]
    w <- prop.test(x, n, correct = FALSE)$conf.int
    cp <- binom.test(x, n)$conf.int
    jl <- if (x == 0) 0 else qbeta(0.025, x + 0.5, n - x + 0.5)
    jh <- if (x == n) 1 else qbeta(0.975, x + 0.5, n - x + 0.5)
    add(k, "ci", "wilson", "", "", paste0(c("lo_", "hi_"), s - 1), w)
    add(k, "ci", "clopper-pearson", "", "", paste0(c("lo_", "hi_"), s - 1), cp)
    add(k, "ci", "jeffreys", "", "", paste0(c("lo_", "hi_"), s - 1), c(jl, jh))
  }
  for (tr in names(measures)) {
    es <- escalc(measure = measures[[tr]], xi = events, ni = n, data = d)
    for (method in c("REML", "DL", "PM")) for (test in c("z", "knha")) {
      if (nrow(d) == 1 && test == "knha") next
      fit <- run(rma(yi, vi, data = es, method = method, test = test, control = ctl),
                 k, tr, method, test, "none")
      if (!is.null(fit)) {
        add(k, tr, method, test, "none", c("b", "se", "tau2", "QE", "I2", "H2"),
            c(fit$b, fit$se, fit$tau2, fit$QE, fit$I2, fit$H2))
        if (nrow(d) > 1) {
          ci <- run(confint(fit, control = list(tol = 1e-12, tau2.max = 1e7)), k, tr, method, test, "none_ci")
          if (!is.null(ci)) add(k, tr, method, test, "none", c("tau2_lo", "tau2_hi"),
                                ci$random["tau^2", c("ci.lb", "ci.ub")])
        }
      }
      if (nrow(d) >= 3) for (m in c("year", "group")) {
        mf <- run(rma(yi, vi, mods = as.formula(paste("~", m)), data = es, method = method,
                      test = test, control = ctl), k, tr, method, test, m)
        if (!is.null(mf) && length(mf$b) == 2)
          add(k, tr, method, test, m, c("b0", "b1", "se0", "se1", "tau2", "QM", "QMp"),
              c(mf$b, mf$se, mf$tau2, mf$QM, mf$QMp))
      }
    }
  }
}
res <- do.call(rbind, out)
write.csv(res, gzfile(file.path(dir, "meta_reference.csv.gz")), row.names = FALSE)
cat("metafor", as.character(packageVersion("metafor")), ":", nrow(res), "rows,",
    sum(grepl("^error", res$quantity)), "errors,", sum(grepl("^warning", res$quantity)),
    "warnings\n")
