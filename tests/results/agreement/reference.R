# R answers for the agreement corpus (issue 21). Run from the repository root after
# make_data.py. Writes icc_reference.csv and kappa_reference.csv.
# - ICC: psych::ICC(x, lmer = FALSE) (the ANOVA definitions of Shrout & Fleiss 1979 with the
#   intervals of McGraw & Wong 1996), all six types.
# - kappa: psych::cohen.kappa with levels = every category (0 .. m - 1), default quadratic
#   weights and linear weights; and the large-sample variance of weighted kappa of Fleiss,
#   Cohen & Everitt (1969) written out below (psych's var.weighted forms the row term as
#   p_j. * sum_k w_jk where the paper has sum_k p_k. w_kj; both are recorded).
# - Bland-Altman: the formulas of Bland & Altman (1999) written out below (no Debian package).
suppressMessages(library(psych))
d <- read.csv(gzfile("tests/results/agreement/icc.csv.gz"))
spec <- read.csv("tests/results/agreement/spec.csv")
out <- list()
for (k in unique(d$dataset)) {
  s <- d[d$dataset == k, ]
  x <- matrix(s$value, nrow = max(s$subject) + 1, byrow = TRUE)
  r <- tryCatch(suppressWarnings(suppressMessages(ICC(x, lmer = FALSE)$results)),
                error = function(e) NULL)
  if (is.null(r)) next
  out[[length(out) + 1]] <- data.frame(dataset = k, type = r$type, icc = r$ICC, f = r$F,
                                       df1 = r$df1, df2 = r$df2, p = r$p,
                                       lower = r[["lower bound"]], upper = r[["upper bound"]])
}
write.csv(do.call(rbind, out), "tests/results/agreement/icc_reference.csv", row.names = FALSE)

fce_weighted_var <- function(p, w) {
  rows <- rowSums(p); cols <- colSums(p)
  po <- sum(w * p); pe <- sum(w * outer(rows, cols))
  wr <- as.vector(w %*% cols); wc <- as.vector(rows %*% w)
  inner <- sum(p * (w * (1 - pe) - outer(wr, wc, "+") * (1 - po))^2)
  (inner - (po * pe - 2 * pe + po)^2) / (1 - pe)^4
}
kd <- read.csv(gzfile("tests/results/agreement/kappa.csv.gz"))
kout <- list()
for (k in unique(kd$dataset)) {
  s <- kd[kd$dataset == k, ]
  m <- spec$categories[spec$dataset == k]
  lv <- 0:(m - 1)
  n <- nrow(s)
  p <- table(factor(s$x, levels = lv), factor(s$y, levels = lv)) / n
  wl <- 1 - abs(outer(seq_len(m), seq_len(m), "-")) / (m - 1)
  wq <- 1 - abs(outer(seq_len(m), seq_len(m), "-"))^2 / (m - 1)^2
  q <- tryCatch(suppressWarnings(suppressMessages(
    cohen.kappa(cbind(s$x, s$y), levels = lv))), error = function(e) NULL)
  l <- tryCatch(suppressWarnings(suppressMessages(
    cohen.kappa(cbind(s$x, s$y), w = wl, levels = lv))), error = function(e) NULL)
  if (is.null(q) || is.null(l)) next
  bad <- function(v) if (is.null(v) || length(v) == 0) NA else v
  kout[[length(kout) + 1]] <- data.frame(
    dataset = k, n = n, kappa = q$kappa, var_kappa = q$var.kappa,
    wkappa_quadratic = q$weighted.kappa, var_psych_quadratic = q$var.weighted,
    var_fce_quadratic = fce_weighted_var(p, wq) / n,
    wkappa_linear = l$weighted.kappa, var_psych_linear = l$var.weighted,
    var_fce_linear = fce_weighted_var(p, wl) / n)
}
write.csv(do.call(rbind, kout), "tests/results/agreement/kappa_reference.csv",
          row.names = FALSE)

bout <- list()
for (k in unique(d$dataset)) {
  s <- d[d$dataset == k & d$rater <= 1, ]
  if (max(s$subject) < 2) next
  a <- s$value[s$rater == 0]; b <- s$value[s$rater == 1]
  dd <- b - a; n <- length(dd); m <- mean(dd); sd <- sd(dd)
  z <- qnorm(0.975); t <- qt(0.975, n - 1)
  bout[[length(bout) + 1]] <- data.frame(
    dataset = k, mean = m, sd = sd, bias_low = m - t * sd / sqrt(n),
    bias_high = m + t * sd / sqrt(n), loa_low = m - z * sd, loa_high = m + z * sd,
    loa_half = t * sqrt(3 * sd^2 / n))
}
write.csv(do.call(rbind, bout), "tests/results/agreement/bland_altman_reference.csv",
          row.names = FALSE)
