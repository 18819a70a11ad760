# Reference numbers for tests/test_models.py, from R (survival 3.x, brglm2).
# Run from the repository root: Rscript tests/data/make_r_reference.R
# Input: tests/data/outcome_reference_data.csv (SIMULATED patients; written once by the test
# module's docstring recipe). Output: the *_r.csv files next to it. Not part of the test set-up.
suppressPackageStartupMessages({
  library(survival)
  library(brglm2)
})
d <- read.csv("tests/data/outcome_reference_data.csv")
d$HR <- factor(d$HR, levels = c("neg", "pos"))

# Firth logistic regression (Jeffreys-prior penalty = Firth's for the logistic model)
fit <- glm(pCR ~ HET + ERBB2 + HR, family = binomial, data = d,
           method = "brglmFit", type = "AS_mean")
s <- summary(fit)$coefficients
out <- data.frame(term = c("Intercept", "HET", "ERBB2", "HR[T.pos]"),
                  log_odds = s[, 1], se = s[, 2], z = s[, 3],
                  r_version = paste(R.version$major, R.version$minor, sep = "."),
                  package = paste0("brglm2 ", packageVersion("brglm2")))
write.csv(out, "tests/data/firth_logistic_r.csv", row.names = FALSE)

# Proportional-hazards test (cox.zph, survival 3.x): per term and global, two transforms
# (times as given, no ties; and rounded up to whole months, with ties: Efron)
cfit <- coxph(Surv(time, event) ~ HET + pCR + ERBB2, data = d)
d$time_tied <- ceiling(d$time)
tfit <- coxph(Surv(time_tied, event) ~ HET + pCR + ERBB2, data = d)
rows <- list()
for (tr in c("km", "rank", "identity")) {
  for (tied in c(FALSE, TRUE)) {
    z <- cox.zph(if (tied) tfit else cfit, transform = tr)$table
    rows[[paste(tr, tied)]] <- data.frame(transform = tr, ties = tied, term = rownames(z),
                                          chisq = z[, "chisq"], df = z[, "df"], p = z[, "p"])
  }
}
zph <- do.call(rbind, rows)
zph$survival <- as.character(packageVersion("survival"))
write.csv(zph, "tests/data/cox_zph_r.csv", row.names = FALSE)
cf <- rbind(
  data.frame(ties = FALSE, term = names(coef(cfit)), log_hr = coef(cfit),
             se = sqrt(diag(vcov(cfit)))),
  data.frame(ties = TRUE, term = names(coef(tfit)), log_hr = coef(tfit),
             se = sqrt(diag(vcov(tfit)))))
write.csv(cf, "tests/data/coxph_r.csv", row.names = FALSE)
