# boot::boot.ci answers for the bootstrap-interval corpus (issue 15).
# Run from the repository root after make_bootstrap.py:
#   Rscript tests/results/bootstrap/corpus/bootstrap.R
# Writes reference.csv.gz: dataset, quantity, value: perc_low, perc_high (boot:::perc.ci, the
# "perc" type of boot.ci), bca_low, bca_high (boot:::bca.ci with the stored replicates, t0 and
# the jackknife influence values L, as boot.ci(type = "bca", L = L) computes them),
# "extreme" = 1 where boot warns "extreme order statistics used as endpoints", and
# "perc_error" / "bca_error" (NA) where fewer than 2 replicates are finite or bca.ci stops (infinite bias correction, undefined acceleration).
suppressMessages(library(boot))
dir <- "tests/results/bootstrap/corpus"
reps <- read.csv(gzfile(file.path(dir, "replicates.csv.gz")))
infl <- read.csv(gzfile(file.path(dir, "influence.csv.gz")))
spec <- read.csv(file.path(dir, "spec.csv"))
out <- list()
add <- function(k, quantity, value) out[[length(out) + 1]] <<- data.frame(dataset = k,
  quantity = quantity, value = as.numeric(value))
for (i in seq_len(nrow(spec))) {
  k <- spec$dataset[i]
  t <- reps$t[reps$dataset == k]; L <- infl$L[infl$dataset == k]
  warned <- FALSE
  p <- withCallingHandlers(tryCatch(boot:::perc.ci(t, conf = spec$level[i]),
                                    error = function(e) e),
                           warning = function(w) { warned <<- TRUE; invokeRestart("muffleWarning") })
  if (inherits(p, "error") || sum(is.finite(t)) < 2) { add(k, "perc_error", NA); next }
  add(k, c("perc_low", "perc_high"), p[1, 4:5])
  add(k, "perc_extreme", warned)
  warned <- FALSE
  b <- withCallingHandlers(tryCatch(boot:::bca.ci(NULL, conf = spec$level[i], t0 = spec$t0[i],
                                                  t = t, L = L), error = function(e) e),
                           warning = function(w) { warned <<- TRUE; invokeRestart("muffleWarning") })
  if (inherits(b, "error")) { add(k, "bca_error", NA); next }
  add(k, c("bca_low", "bca_high"), b[1, 4:5])
  add(k, "bca_extreme", warned)
}
res <- do.call(rbind, out)
write.csv(res, gzfile(file.path(dir, "reference.csv.gz")), row.names = FALSE)
cat("boot", as.character(packageVersion("boot")), ":", nrow(res), "numbers,",
    sum(res$quantity == "bca_error"), "BCa errors\n")
