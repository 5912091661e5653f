# geepack references for alspaincohort.fit_trajectories(method = "gee") (issue 8).
# Run from the repository root after make_data.py: Rscript tests/results/trajectories/reference.R
suppressMessages(library(geepack))
dir <- "tests/results/trajectories"
d <- read.csv(file.path(dir, "vas_long.csv"))
d$pid <- as.integer(factor(d$patient_id, levels = unique(d$patient_id)))
out <- list()
for (cs in c("exchangeable", "ar1")) {
  for (form in c("value ~ time", "value ~ time * onset_site")) {
    f <- geeglm(as.formula(form), id = pid, data = d, corstr = cs,
                control = geese.control(epsilon = 1e-12, maxit = 500))
    s <- summary(f)
    key <- if (grepl("onset_site", form)) "by_site" else "linear"
    out[[length(out) + 1]] <- data.frame(model = key, corstr = cs, quantity = "coef",
                                         term = names(coef(f)), value = coef(f))
    out[[length(out) + 1]] <- data.frame(model = key, corstr = cs, quantity = "se",
                                         term = names(coef(f)), value = s$coefficients[, "Std.err"])
    out[[length(out) + 1]] <- data.frame(model = key, corstr = cs, quantity = "alpha",
                                         term = "", value = s$corr[1, 1])
  }
}
res <- do.call(rbind, out)
write.csv(res, file.path(dir, "reference.csv"), row.names = FALSE)
cat("geepack", as.character(packageVersion("geepack")), ":", nrow(res), "reference numbers\n")
