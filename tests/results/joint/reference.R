# References for alspaincohort.stats.joint.JointModel (issue 22): JM::jointModel (JM 1.5-2,
# built from github.com/drizopoulos/JM with R CMD INSTALL; nlme, survival, MASS, splines) with
# methods "weibull-PH-aGH" and "piecewise-PH-aGH" and parameterizations "value", "slope" and
# "both", each with 5 pseudo-adaptive Gauss-Hermite points (JM's default below 2,000 marker
# rows; with its 3 points above that the approximate likelihood has spurious maxima, one 80
# log-likelihood units above the 5-point maximum on als_1000, see stats/joint.py) and
# otherwise JM's default control ("default"), with tightened tolerances
# ("tight"), and with tightened tolerances started from our estimates ("from_ours",
# our_estimates.csv: JM stops early on several data sets; where it stays when started there is
# its maximum), on
# (a) survival::pbcseq: log bilirubin ~ years (random intercept and slope by patient), death
#     (status 2; transplantation censored) with trt (as coded in pbcseq) as the survival
#     covariate; exported here
#     to pbc_long.csv / pbc_surv.csv;
# (b) the synthetic ALS cohorts of make_data.py: VAS ~ months since baseline, death, age / 10 and
#     bulbar onset.
# Writes reference.csv: data, method, param, control, quantity, term, value (estimates,
# standard errors, logLik, elapsed seconds). Run from the repository root after make_data.py
# and our_estimates.py:
#   Rscript tests/results/joint/reference.R
suppressMessages({library(nlme); library(survival); library(JM)})
dir <- "tests/results/joint"
p <- survival::pbcseq
first <- p[!duplicated(p$id), ]
pbc_surv <- data.frame(id = first$id, time = first$futime / 365.25,
                       death = as.integer(first$status == 2), trt = first$trt)
pbc_long <- data.frame(id = p$id, years = p$day / 365.25, logbili = log(p$bili))
pbc_long <- merge(pbc_long, pbc_surv[, c("id", "time")], by = "id")
pbc_long <- pbc_long[pbc_long$years < pbc_long$time, c("id", "years", "logbili")]
pbc_long <- pbc_long[order(pbc_long$id, pbc_long$years), ]
write.csv(pbc_long, file.path(dir, "pbc_long.csv"), row.names = FALSE)
write.csv(pbc_surv, file.path(dir, "pbc_surv.csv"), row.names = FALSE)

sets <- list(
  pbc = list(long = pbc_long, surv = pbc_surv, y = "logbili", t = "years", w = "trt"),
  als_300 = list(long = read.csv(file.path(dir, "als_300_long.csv")),
                 surv = read.csv(file.path(dir, "als_300_surv.csv")), y = "vas", t = "months",
                 w = c("age10", "bulbar")),
  als_1000 = list(long = read.csv(file.path(dir, "als_1000_long.csv")),
                  surv = read.csv(file.path(dir, "als_1000_surv.csv")), y = "vas", t = "months",
                  w = c("age10", "bulbar")))
tight <- list(GHk = 5, tol1 = 1e-8, tol2 = 1e-10, tol3 = 1e-12, iter.EM = 200, iter.qN = 2000)
ours <- read.csv(file.path(dir, "our_estimates.csv"))
start_at <- function(data, method, param) {
  o <- ours[ours$data == data & ours$method == method & ours$param == param, ]
  v <- setNames(o$value, o$name)
  init <- list(betas = unname(v[c("betas1", "betas2")]), sigma = unname(v["sigma"]),
               D = matrix(v[c("D11", "D21", "D21", "D22")], 2, 2),
               gammas = unname(v[grep("^gammas", names(v))]))
  if ("alpha" %in% names(v)) init$alpha <- unname(v["alpha"])
  if ("Dalpha" %in% names(v)) init$Dalpha <- unname(v["Dalpha"])
  if ("sigma.t" %in% names(v)) init$sigma.t <- unname(v["sigma.t"])
  if (any(grepl("^xi", names(v)))) init$xi <- unname(v[grep("^xi", names(v))])
  init
}
out <- list()
add <- function(...) out[[length(out) + 1]] <<- data.frame(...)
for (name in names(sets)) {
  s <- sets[[name]]
  long <- s$long[order(s$long$id, s$long[[s$t]]), ]
  surv <- s$surv[s$surv$id %in% long$id, ]
  surv <- surv[match(unique(long$id), surv$id), ]
  fl <- as.formula(paste(s$y, "~", s$t))
  fr <- as.formula(paste("~", s$t, "| id"))
  lf <- lme(fl, random = fr, data = long)  # nlminb (the default): a converged REML fit
  cf <- coxph(as.formula(paste("Surv(time, death) ~", paste(s$w, collapse = " + "))),
              data = surv, x = TRUE)
  for (method in c("weibull-PH-aGH", "piecewise-PH-aGH")) {
    for (param in c("value", "slope", "both")) {
      for (ctl in c("default", "tight", "from_ours")) {
        args <- list(lmeObject = lf, survObject = cf, timeVar = s$t, method = method,
                     parameterization = param)
        if (param != "value")
          args$derivForm <- list(fixed = ~ 1, indFixed = 2, random = ~ 1, indRandom = 2)
        args$control <- if (ctl == "default") list(GHk = 5) else tight
        if (ctl == "from_ours") {
          args$init <- start_at(name, method, param)
          names(args$init$betas) <- names(fixef(lf))
        }
        el <- system.time(fit <- do.call(jointModel, args))[["elapsed"]]
        co <- fit$coefficients
        se <- sqrt(diag(vcov(fit)))
        tag <- function(q, term, v) add(data = name, method = method, param = param,
                                        control = ctl, quantity = q, term = term, value = v)
        tag("logLik", "", as.numeric(logLik(fit)))
        tag("seconds", "", el)
        tag("converged", "", as.numeric(fit$convergence == 0))
        tag("beta", names(co$betas), unname(co$betas))
        tag("sigma", "", co$sigma)
        tag("gamma", names(co$gammas), unname(co$gammas))
        if (!is.null(co$alpha)) tag("alpha", "", unname(co$alpha))
        if (!is.null(co$Dalpha)) tag("alpha_slope", "", unname(co$Dalpha))
        if (!is.null(co$sigma.t)) tag("shape", "", co$sigma.t)
        if (!is.null(co$xi)) tag("xi", seq_along(co$xi), unname(co$xi))
        D <- as.matrix(co$D)
        tag("D", c("11", "21", "22"), c(D[1, 1], D[2, 1], D[2, 2]))
        tag("se", names(se), unname(se))
        if (!is.null(fit$control$knots)) tag("knots", seq_along(fit$control$knots),
                                             unname(unlist(fit$control$knots)))
        cat(name, method, param, ctl, "logLik", as.numeric(logLik(fit)), "in", el, "s\n")
      }
    }
  }
}
res <- do.call(rbind, out)
write.csv(res, file.path(dir, "reference.csv"), row.names = FALSE)
cat(sprintf("JM %s: %d reference numbers\n", as.character(packageVersion("JM")), nrow(res)))
