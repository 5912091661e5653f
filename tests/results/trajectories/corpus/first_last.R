# R answers for the first-to-last change corpus (issue 15).
# Run from the repository root after make_first_last.py:
#   Rscript tests/results/trajectories/corpus/first_last.R
# Per dataset, as the published VAS study: patients with >= 2 visits (and, with
# only_with_pain, some VAS > 0), first and last visit by day; t.test(last, first, paired =
# TRUE) and wilcox.test(last, first, paired = TRUE) with R's defaults (exact p below 50 pairs
# without ties or zeros, else normal with continuity correction).
# Writes first_last_reference.csv.gz: dataset, quantity, value, message (R's error, if any).
dir <- "tests/results/trajectories/corpus"
data <- read.csv(gzfile(file.path(dir, "first_last_data.csv.gz")))
spec <- read.csv(file.path(dir, "first_last_spec.csv"))
out <- list()
add <- function(k, quantity, value, message = "") {
  out[[length(out) + 1]] <<- data.frame(dataset = k, quantity = quantity,
                                         value = as.numeric(value), message = message)
}
for (i in seq_len(nrow(spec))) {
  k <- spec$dataset[i]
  d <- data[data$dataset == k, ]
  if (spec$only_with_pain[i] == "True") {
    keep <- tapply(d$value, d$patient_id, max) > 0
    d <- d[d$patient_id %in% names(keep)[keep], ]
  }
  d <- d[order(d$patient_id, d$day), ]
  visits <- table(d$patient_id)
  d <- d[d$patient_id %in% names(visits)[visits >= 2], ]
  first <- d[!duplicated(d$patient_id), ]
  last <- d[!duplicated(d$patient_id, fromLast = TRUE), ]
  n <- nrow(first)
  add(k, "n", n)
  if (n == 0) next
  interval <- last$day - first$day
  add(k, "median_interval_days", median(interval))
  add(k, "min_interval_days", min(interval))
  add(k, "max_interval_days", max(interval))
  add(k, "mean_change", mean(last$value - first$value))
  tt <- tryCatch(t.test(last$value, first$value, paired = TRUE), error = function(e) e)
  if (inherits(tt, "error")) {
    add(k, "t_error", NA, conditionMessage(tt))
  } else {
    add(k, "ci_low", tt$conf.int[1])
    add(k, "ci_high", tt$conf.int[2])
    add(k, "t_statistic", tt$statistic)
    add(k, "t_p_value", tt$p.value)
  }
  wt <- tryCatch(suppressWarnings(wilcox.test(last$value, first$value, paired = TRUE)),
                 error = function(e) e)
  if (inherits(wt, "error")) {
    add(k, "wilcoxon_error", NA, conditionMessage(wt))
  } else {
    add(k, "wilcoxon_statistic", wt$statistic)
    add(k, "wilcoxon_p_value", wt$p.value)
  }
}
res <- do.call(rbind, out)
write.csv(res, gzfile(file.path(dir, "first_last_reference.csv.gz")), row.names = FALSE)
