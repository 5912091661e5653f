# Epi::ccwc draws for the risk-set sampler's agreement in distribution (issue 20).
# Run from the repository root after make_data.py:  Rscript tests/results/ccwc/ccwc.R
# Writes ccwc_counts.csv: set (the sorted case ids joined by "+"), person_id, times drawn as a
# control in 2000 runs of ccwc(controls = 3, match = list(sex, birth_year)), and sets.csv: each
# set's number of cases and of eligible non-cases (the risk-set size, from one run with more
# controls wanted than anyone has).
suppressMessages(library(Epi))
dir <- "tests/results/ccwc"
d <- read.csv(file.path(dir, "population.csv"))
set.seed(20261205)
runs <- 2000
tally <- list()
one_run <- function(controls) {
  cc <- suppressWarnings(ccwc(entry = entry, exit = exit_at_risk, fail = fail, controls = controls,
                              match = list(sex, birth_year), data = d, silent = TRUE))
  cc$person_id <- d$person_id[cc$Map]
  keys <- tapply(cc$person_id[cc$Fail == 1], cc$Set[cc$Fail == 1],
                 function(x) paste(sort(x), collapse = "+"))
  cc$key <- keys[as.character(cc$Set)]
  cc
}
for (r in seq_len(runs)) {
  cc <- one_run(3)
  ctl <- cc[cc$Fail == 0, ]
  tally[[r]] <- data.frame(set = ctl$key, person_id = ctl$person_id)
}
all <- do.call(rbind, tally)
counts <- aggregate(list(count = rep(1, nrow(all))), by = list(set = all$set,
                    person_id = all$person_id), FUN = sum)
counts$runs <- runs
write.csv(counts[order(counts$set, counts$person_id), ], file.path(dir, "ccwc_counts.csv"),
          row.names = FALSE)
full <- one_run(10000)
sets <- aggregate(list(n = rep(1, nrow(full))), by = list(set = full$key, fail = full$Fail), FUN = sum)
write.csv(sets[order(sets$set, sets$fail), ], file.path(dir, "sets.csv"), row.names = FALSE)
cat("Epi", as.character(packageVersion("Epi")), ":", nrow(counts), "(set, control) pairs in",
    length(unique(counts$set)), "sets\n")
