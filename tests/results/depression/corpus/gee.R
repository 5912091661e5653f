# geepack::geeglm answers for the GEE corpus (issue 15). Run from the repository root after
# make_gee.py:  Rscript tests/results/depression/corpus/gee.R  -> gee_reference.csv.gz
# Tolerance tightened to 1e-12 (default 1e-4), as in tests/results/depression/reference.R.
suppressMessages(library(geepack))
dir <- "tests/results/depression/corpus"
data <- read.csv(gzfile(file.path(dir, "gee_data.csv.gz")))
spec <- read.csv(file.path(dir, "gee_spec.csv"))
out <- list()
add <- function(k, quantity, values, terms = names(values)) {
  if (is.null(terms)) terms <- rep("", length(values))
  out[[length(out) + 1]] <<- data.frame(dataset = k, quantity = quantity, term = terms,
                                         value = as.numeric(values))
}
for (i in seq_len(nrow(spec))) {
  k <- spec$dataset[i]
  d <- data[data$dataset == k, ]
  f <- tryCatch(geeglm(y ~ x + f + t, id = id, data = d, corstr = spec$corstr[i],
                       control = geese.control(epsilon = 1e-12, maxit = 500)),
                error = function(e) e)
  if (inherits(f, "error")) { add(k, "error", NA, conditionMessage(f)); next }
  s <- summary(f)
  add(k, "coef", coef(f))
  add(k, "se_robust", s$coefficients[, "Std.err"], names(coef(f)))
  add(k, "scale", s$dispersion$Estimate, "")
  if (spec$corstr[i] != "independence") add(k, "alpha", s$corr[1, 1], "")
}
write.csv(do.call(rbind, out), gzfile(file.path(dir, "gee_reference.csv.gz")), row.names = FALSE)
cat("geepack", as.character(packageVersion("geepack")), "\n")
