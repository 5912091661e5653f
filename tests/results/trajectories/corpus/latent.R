# lcmm::hlme answers for the latent-class mixed-model corpus (issue 15).
# Run from the repository root after make_latent.py:
#   Rscript tests/results/trajectories/corpus/latent.R            (all datasets), or
#   Rscript tests/results/trajectories/corpus/latent.R 2 0 & Rscript ...latent.R 2 1
#     (two halves in parallel, about 25 minutes each here), then combine the halves:
#   Rscript -e 'd <- "tests/results/trajectories/corpus"; p <- file.path(d,
#     paste0("latent_reference_part", 0:1, ".csv.gz")); r <- do.call(rbind, lapply(p, read.csv));
#     r <- r[order(r$dataset), ]; write.csv(r, gzfile(file.path(d, "latent_reference.csv.gz")),
#     row.names = FALSE); file.remove(p)'
# lcmm 2.x and marqLevAlg are not Debian packages: build them from their public sources
# (github CecileProust-Lima/lcmm, cran/marqLevAlg) with R CMD INSTALL -l <lib>, dropping lcmm's
# optional spacefillr import from its NAMESPACE and DESCRIPTION, and set R_LIBS to <lib>.
# numDeriv is Debian's r-cran-numderiv.
#
# Every dataset is fitted by hlme from the starting values in latent_spec.csv (hlme's B: class
# logits, class intercepts, class slopes, the random-effect covariance, the residual SD), with
# convergence tolerances 1e-7 (hlme's default 1e-4 stops well short; 1e-12 takes minutes on a
# dataset). hlme's own answer is then polished by Newton steps on hlme's own log-likelihood
# (lcmm::loglikhlme) with Richardson-extrapolated derivatives (numDeriv::grad, ::hessian), until
# the Newton decrement g'(-H)^-1 g is below 1e-13, so that the reference sits at the maximum to
# the precision the comparison needs. numDeriv's default first step (d = 0.1, a tenth of each
# parameter: 4 units for an intercept of 40) spans several curvatures of a mixture likelihood
# and its Richardson extrapolation is then off by 1e-3 to 1e-2 in the standard errors; d = 0.01
# agrees with an analytic-gradient Hessian to 1e-6 (d = 1e-3 and 1e-4 lose digits to rounding). hlme's V comes from forward differences with steps of
# 1e-4 |b| (marqLevAlg::deriva) and is 1e-4 to 1e-3 off; the reference standard errors come from
# the numDeriv Hessian at the polished maximum.
# Writes latent_reference.csv.gz: dataset, quantity, term, value, with quantity
#   loglik, conv (1 converged, 2 maxiter, 4/5 failed), niter, best, pprob: hlme's answer;
#   polished_loglik, polished_best (same order and scale as best), polished_dec (the final
#   decrement; NA when -H is not positive definite and no Newton step is possible),
#   polished_pprob (posteriors at polished_best, from hlme's Fortran), se_exact (estimation
#   scale: logits, intercepts, slopes, Cholesky factor of D, residual SD);
#   error (hlme's message in term when it refuses a dataset).
suppressMessages({library(lcmm); library(numDeriv)})
args <- as.integer(commandArgs(trailingOnly = TRUE))
dir <- "tests/results/trajectories/corpus"
data <- read.csv(gzfile(file.path(dir, "latent_data.csv.gz")))
spec <- read.csv(file.path(dir, "latent_spec.csv"))
rows <- seq_len(nrow(spec))
if (length(args) == 2) rows <- rows[(rows - 1) %% args[1] == args[2]]
out <- list()
add <- function(k, quantity, values, terms = names(values)) {
  if (is.null(terms)) terms <- rep("", length(values))
  out[[length(out) + 1]] <<- data.frame(dataset = k, quantity = quantity, term = terms,
                                         value = as.numeric(values))
}
fortran <- function(b, d, K, estim) {  # hlme's Fortran likelihood / posteriors at b
  ns <- length(unique(d$g)); npm <- length(b)
  .Fortran(lcmm:::C_loglikhlme, as.double(d$y), as.double(cbind(1, d$t)),
           as.integer(rep(0, ns)), as.double(t(matrix(1, ns, K))), as.integer(c(1, 0)),
           as.integer(c(1, 1)), as.integer(if (K > 1) c(2, 2) else c(1, 1)),
           as.integer(c(0, 0)), as.integer(ns), as.integer(K), as.integer(2),
           as.integer(nrow(d)), as.integer(2), as.integer(as.vector(table(d$g))),
           as.integer(0), as.integer(0), as.integer(0), as.integer(npm), as.double(b),
           ppi = as.double(rep(0, ns * K)), as.double(rep(0, nrow(d))),
           as.double(rep(0, nrow(d))), as.double(rep(0, nrow(d) * K)),
           as.double(rep(0, nrow(d) * K)), as.double(rep(0, ns * 2 * (1 + K))),
           as.double(rep(0, ns * 3)), as.integer(rep(0, npm)), as.integer(0), as.double(0),
           as.integer(estim), loglik = as.double(0))
}
# The score of the model, written out per patient with explicit matrices (no Woodbury and no
# sufficient statistics), in hlme's estimation scale b = (xi, intercepts, slopes, upper
# Cholesky factor U of D = U'U, sigma): d/d beta_k = sum_i tau_ik X'V^-1 r; d/dD =
# sum_ik tau_ik (a a' - X'V^-1 X) / 2 with a = X'V^-1 r, chained to U by 2 U (d/dD);
# d/d sigma = sigma sum_ik tau_ik (|V^-1 r|^2 - tr V^-1); d/d xi_k = sum_i (tau_ik - pi_k).
# It is checked against numDeriv's gradient of hlme's own Fortran likelihood at every
# dataset's start (quantity gradient_check: largest difference / largest gradient), and its
# Jacobian gives the reference Hessian.
score <- function(b, d, K) {
  xi <- c(if (K > 1) b[seq_len(K - 1)], 0)
  pi <- exp(xi - max(xi)); pi <- pi / sum(pi)
  beta <- cbind(b[K - 1 + seq_len(K)], b[2 * K - 1 + seq_len(K)])
  i3 <- 3 * K - 1 + 1:3
  U <- matrix(c(b[i3[1]], 0, b[i3[2]], b[i3[3]]), 2)
  D <- t(U) %*% U
  sigma <- b[3 * K + 3]
  g_beta <- matrix(0, K, 2); GD <- matrix(0, 2, 2); g_s <- 0; g_xi <- rep(0, K)
  for (ids in split(seq_len(nrow(d)), d$g)) {
    X <- cbind(1, d$t[ids]); y <- d$y[ids]; n <- length(ids)
    V <- sigma^2 * diag(n) + X %*% D %*% t(X)
    Vi <- solve(V)
    logf <- sapply(seq_len(K), function(k) {
      r <- y - X %*% beta[k, ]
      -0.5 * (n * log(2 * pi_const) + as.numeric(determinant(V)$modulus) + sum(r * (Vi %*% r)))
    }) + log(pi)
    tau <- exp(logf - max(logf)); tau <- tau / sum(tau)
    XVX <- t(X) %*% Vi %*% X
    for (k in seq_len(K)) {
      r <- y - X %*% beta[k, ]
      Vr <- Vi %*% r
      a <- t(X) %*% Vr
      g_beta[k, ] <- g_beta[k, ] + tau[k] * a
      GD <- GD + tau[k] * 0.5 * (a %*% t(a) - XVX)
      g_s <- g_s + tau[k] * sigma * (sum(Vr^2) - sum(diag(Vi)))
    }
    g_xi <- g_xi + tau - pi
  }
  GU <- 2 * U %*% GD
  c(if (K > 1) g_xi[seq_len(K - 1)], g_beta[, 1], g_beta[, 2], GU[1, 1], GU[1, 2], GU[2, 2], g_s)
}
pi_const <- base::pi
to_d <- function(b, K) {  # estimation scale (Cholesky U of D) -> best's scale (D = U'U)
  i <- 3 * K - 1 + 1:3
  U <- matrix(c(b[i[1]], 0, b[i[2]], b[i[3]]), 2)
  D <- t(U) %*% U
  b[i] <- D[upper.tri(D, diag = TRUE)]
  b
}
for (i in rows) {
  k <- spec$dataset[i]
  K <- spec$n_classes[i]
  d <- data[data$dataset == k, ]
  d <- d[order(d$g), ]
  j <- seq_len(K) - 1
  shares <- unlist(spec[i, paste0("start_share_", j)])
  B <- c(if (K > 1) log(shares[-K] / shares[K]),
         unlist(spec[i, paste0("start_int_", j)]), unlist(spec[i, paste0("start_slope_", j)]),
         spec$start_d11[i], spec$start_d12[i], spec$start_d22[i], spec$start_sigma[i])
  fit <- tryCatch(
    if (K == 1) {
      hlme(y ~ t, random = ~ t, subject = "g", ng = 1, data = d, B = B, maxiter = 5000,
           convB = 1e-7, convL = 1e-7, convG = 1e-7)
    } else {
      hlme(y ~ t, mixture = ~ t, random = ~ t, subject = "g", ng = K, data = d, B = B,
           maxiter = 5000, convB = 1e-7, convL = 1e-7, convG = 1e-7)
    }, error = function(e) e)
  if (inherits(fit, "error")) {
    add(k, "error", NA, conditionMessage(fit))
    next
  }
  add(k, "loglik", fit$loglik, "")
  add(k, "conv", fit$conv, "")
  add(k, "niter", fit$niter, "")
  add(k, "best", fit$best, seq_along(fit$best) - 1)
  if (K > 1) {
    pp <- as.matrix(fit$pprob[, 2 + seq_len(K)])
    add(k, "pprob", as.vector(t(pp)), paste0(rep(fit$pprob$g, each = K), ":", rep(j, nrow(pp))))
  }
  # Newton polish of hlme's own likelihood
  b <- fit$best
  b[3 * K - 1 + 1:3] <- fit$cholesky
  f <- function(b) fortran(b, d, K, 1)$loglik
  sc <- function(b) score(b, d, K)
  # the score against numDeriv's gradient of hlme's Fortran likelihood, at the start (away
  # from the maximum, where the gradient is large and a relative comparison is meaningful)
  b0 <- B
  i3 <- 3 * K - 1 + 1:3
  U0 <- chol(matrix(c(B[i3[1]], B[i3[2]], B[i3[2]], B[i3[3]]), 2))
  b0[i3] <- U0[upper.tri(U0, diag = TRUE)]
  numeric_g <- grad(f, b0, method.args = list(d = 0.01, r = 4))
  add(k, "gradient_check", max(abs(sc(b0) - numeric_g)) / max(abs(numeric_g)), "")
  dec <- NA
  H <- NULL
  for (it in 1:20) {
    g <- sc(b)
    H <- jacobian(sc, b, method.args = list(d = 0.01, r = 4))
    H <- (H + t(H)) / 2
    R <- tryCatch(chol(-H), error = function(e) NULL)
    if (is.null(R)) { dec <- NA; break }
    step <- backsolve(R, forwardsolve(t(R), g))
    dec <- sum(g * step)
    if (dec < 1e-13) break
    if (f(b + step) < f(b) - 1e-9) break
    b <- b + step
  }
  add(k, "polished_loglik", f(b), "")
  add(k, "polished_best", to_d(b, K), seq_along(b) - 1)
  add(k, "polished_dec", dec, "")
  if (K > 1) {
    ns <- length(unique(d$g))
    add(k, "polished_pprob", fortran(b, d, K, 0)$ppi,
        paste0(rep(sort(unique(d$g)), each = K), ":", rep(j, ns)))
  }
  se <- tryCatch(sqrt(diag(solve(-H))), error = function(e) rep(NA, length(b)),
                 warning = function(w) rep(NA, length(b)))
  add(k, "se_exact", se, seq_along(b) - 1)
  cat(k, K, fit$conv, fit$loglik, f(b), dec, "\n")
}
res <- do.call(rbind, out)
suffix <- if (length(args) == 2) paste0("_part", args[2]) else ""
write.csv(res, gzfile(file.path(dir, paste0("latent_reference", suffix, ".csv.gz"))),
          row.names = FALSE)
