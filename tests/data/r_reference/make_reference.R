# Reference outputs of the R implementations for tests/test_r_reference.py (run once; README.md).
#
#   Rscript tests/data/r_reference/make_reference.R
#
# Reads the inputs written by make_inputs.py from this directory and writes the *_r.csv files.
# Designs are built here from the sample table with R formulas (the DESeq2 vignette's
# parameterisations), not taken from the project, so the comparison also checks the project's
# design construction.
suppressPackageStartupMessages({
  library(DESeq2)
  library(GSVA)
  library(survival)
  library(brglm2)
})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
inp <- function(f) file.path(here, f)
out <- function(df, f) write.csv(df, inp(f), row.names = FALSE, quote = FALSE)
ALPHA <- 0.05   # the project's de.alpha default
MIN_COUNT <- 10 # the project's de.min_count default

counts <- as.matrix(read.csv(inp("deseq2_counts.csv"), row.names = 1, check.names = FALSE))
samples <- read.csv(inp("deseq2_samples.csv"), stringsAsFactors = FALSE)
samples$timepoint <- factor(samples$timepoint, levels = c("pre", "post"))
samples$pCR <- factor(samples$pCR, levels = c(0, 1))
samples$HR <- factor(samples$HR, levels = c(0, 1))
samples$patient <- factor(samples$patient)

# the project's prefilter: >= MIN_COUNT counts in as many units as the smallest tested level
prefilter <- function(cts, level) {
  cts[rowSums(cts >= MIN_COUNT) >= max(2, min(table(droplevels(level)))), , drop = FALSE]
}

run_deseq <- function(cts, cd, design, ...) {
  dds <- DESeqDataSetFromMatrix(cts, cd, design)
  dds <- DESeq(dds, useT = TRUE, quiet = TRUE)  # t reference on n - p df, as de.t_test
  dds
}

tidy <- function(dds, res, extra = list()) {
  df <- data.frame(
    gene = rownames(res), baseMean = res$baseMean, log2FoldChange = res$log2FoldChange,
    lfcSE = res$lfcSE, stat = res$stat, pvalue = res$pvalue, padj = res$padj,
    dispGeneEst = mcols(dds)$dispGeneEst, dispFit = mcols(dds)$dispFit,
    dispersion = mcols(dds)$dispersion,
    replaced = if (is.null(mcols(dds)$replace)) FALSE else mcols(dds)$replace
  )
  for (k in names(extra)) df[[k]] <- extra[[k]]
  df
}

# 1. unpaired: baseline samples, pCR 1 vs 0 adjusted for HR (the project's pre_pCR_vs_noPCR)
pre <- samples[samples$timepoint == "pre", ]
c1 <- prefilter(counts[, pre$sample], pre$pCR)
dds1 <- run_deseq(c1, pre, ~ HR + pCR)
res1 <- results(dds1, name = "pCR_1_vs_0", alpha = ALPHA)
out(tidy(dds1, res1), "deseq2_unpaired_r.csv")

# 1b. unpaired without blocking (~ pCR; 10 vs 10): cells of >= 7 samples, so Cook's outliers
#     are replaced and the genes refitted (minReplicatesForReplace = 7)
dds1b <- run_deseq(c1, pre, ~ pCR)
res1b <- results(dds1b, name = "pCR_1_vs_0", alpha = ALPHA)
out(tidy(dds1b, res1b), "deseq2_unpaired_refit_r.csv")

# 2. paired: post vs pre blocked on patient
c2 <- prefilter(counts[, samples$sample], samples$timepoint)
dds2 <- run_deseq(c2, samples, ~ patient + timepoint)
res2 <- results(dds2, name = "timepoint_post_vs_pre", alpha = ALPHA)
out(tidy(dds2, res2), "deseq2_paired_r.csv")

# 3. nested interaction (DESeq2 vignette, "group-specific condition effects, individuals
#    nested within groups"): post vs pre within pCR groups, and its difference pCR1 - pCR0
cd3 <- samples
cd3$ind.n <- factor(ave(as.integer(cd3$patient), cd3$pCR, FUN = function(x) as.integer(factor(x))))
dds3 <- run_deseq(c2, cd3, ~ pCR + pCR:ind.n + pCR:timepoint)
res3 <- results(dds3, contrast = list("pCR1.timepointpost", "pCR0.timepointpost"), alpha = ALPHA)
in0 <- results(dds3, name = "pCR0.timepointpost", alpha = ALPHA)$log2FoldChange
in1 <- results(dds3, name = "pCR1.timepointpost", alpha = ALPHA)$log2FoldChange
out(tidy(dds3, res3, list(log2FC_in_0 = in0, log2FC_in_1 = in1)), "deseq2_interaction_r.csv")

# 4. GSVA ssgsea, raw enrichment scores (ssgsea.norm = FALSE), alpha (weight) 0.25
sets_df <- read.csv(inp("ssgsea_sets.csv"), stringsAsFactors = FALSE)
sets <- split(sets_df$gene, factor(sets_df$set, levels = unique(sets_df$set)))
gsva_table <- function(expr) {
  es <- suppressMessages(capture.output(
    r <- gsva(expr, sets, method = "ssgsea", ssgsea.norm = FALSE, tau = 0.25, verbose = FALSE)
  ))
  es <- r
  data.frame(sample = colnames(es), t(es), check.names = FALSE)
}
cont <- as.matrix(read.csv(inp("ssgsea_expr.csv"), row.names = 1, check.names = FALSE))
out(gsva_table(cont), "gsva_ssgsea_r.csv")
tied <- as.matrix(read.csv(inp("ssgsea_expr_tied.csv"), row.names = 1, check.names = FALSE))
out(gsva_table(tied), "gsva_ssgsea_tied_r.csv")
perm <- read.csv(inp("ssgsea_permutation.csv"))$position + 1
out(gsva_table(tied[perm, ]), "gsva_ssgsea_tied_permuted_r.csv")
# GSVA breaks ties by input order: its mean (and SD) over 400 random gene orders
set.seed(19)
draws <- replicate(400, as.matrix(gsva_table(tied[sample(nrow(tied)), ])[, -1]), simplify = "array")
out(data.frame(sample = colnames(tied), apply(draws, 1:2, mean), check.names = FALSE),
    "gsva_ssgsea_tied_mean_r.csv")
out(data.frame(sample = colnames(tied), apply(draws, 1:2, sd), check.names = FALSE),
    "gsva_ssgsea_tied_sd_r.csv")

# 5. logistic regression, maximum likelihood (glm binomial, Wald)
lt <- read.csv(inp("logistic_data.csv"))
g <- glm(pCR ~ score + HR, family = binomial, data = lt)
s <- summary(g)$coefficients
ci <- confint.default(g)
out(data.frame(term = rownames(s), estimate = s[, 1], se = s[, 2], z = s[, 3], pvalue = s[, 4],
               ci_low = ci[, 1], ci_high = ci[, 2]), "glm_binomial_r.csv")

# 6. Firth logistic regression. logistf is not packaged in Debian; brglm2's "AS_mean" bias
#    reduction is Firth's penalised likelihood for the logit link (same estimates as logistf).
#    logistf's penalised likelihood-ratio p-values are computed here from their definition:
#    2 * (pl(full) - pl(beta_j = 0)), pl = loglik + log|X'WX| / 2 with the full design.
ft <- read.csv(inp("firth_data.csv"))
fb <- glm(pCR ~ score + HR, family = binomial, data = ft, method = "brglmFit", type = "AS_mean",
          control = brglmControl(epsilon = 1e-12, maxit = 500))
X <- model.matrix(~ score + HR, ft)
y <- ft$pCR
pl <- function(beta) {
  eta <- drop(X %*% beta); p <- plogis(eta)
  sum(y * eta - log1p(exp(eta))) + 0.5 * determinant(crossprod(X * sqrt(p * (1 - p))))$modulus
}
pl_full <- pl(coef(fb))
plrt <- sapply(seq_len(ncol(X)), function(j) {
  f <- function(b) -pl(append(b, 0, after = j - 1))
  o <- optim(coef(fb)[-j], f, method = "BFGS", control = list(reltol = 1e-15, maxit = 10000))
  o2 <- optim(o$par, f, method = "Nelder-Mead", control = list(reltol = 1e-15, maxit = 20000))
  best <- if (o2$value < o$value) o2$value else o$value
  pchisq(2 * (pl_full + best), 1, lower.tail = FALSE)
})
sf <- summary(fb)$coefficients
out(data.frame(term = rownames(sf), estimate = sf[, 1], se = sf[, 2], pvalue_plrt = plrt),
    "firth_r.csv")

# 7. Cox proportional hazards (Efron ties), proportional-hazards test on ranked time
ct <- read.csv(inp("cox_data.csv"))
cx <- coxph(Surv(time, event) ~ pCR + HR + score, data = ct, ties = "efron")
sc <- summary(cx)$coefficients
zph <- cox.zph(cx, transform = "rank", terms = FALSE)$table
out(data.frame(term = rownames(sc), estimate = sc[, "coef"], se = sc[, "se(coef)"],
               z = sc[, "z"], pvalue = sc[, "Pr(>|z|)"],
               ph_chisq = zph[rownames(sc), "chisq"], ph_pvalue = zph[rownames(sc), "p"],
               concordance = unname(cx$concordance["concordance"])), "coxph_r.csv")

writeLines(c(R.version.string,
             paste("DESeq2", packageVersion("DESeq2")), paste("GSVA", packageVersion("GSVA")),
             paste("survival", packageVersion("survival")), paste("brglm2", packageVersion("brglm2"))),
           inp("r_versions.txt"))
