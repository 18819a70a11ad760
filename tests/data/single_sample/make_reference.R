# Reference outputs for tests/test_single_sample.py, from R (Debian's r-cran-e1071 1.7).
# Run from the repository root:
#   Rscript tests/data/single_sample/make_reference.R [path/to/sspbc_1.0.tar.gz]
# Not part of the test set-up; the files it writes are committed next to it.
#
# 1. A SIMULATED gene-pair model in sspbc's layout (model.rda: a list `sspbc.models` with one
#    model `ssp.test`, and a small `Gene.ID.ann`), fitted here with e1071::naiveBayes on rules
#    of simulated raw expression, and R's posteriors for SIMULATED test samples that have ties,
#    a missing value, a gene the data lack and a gene measured twice (expression.tsv,
#    predictions_r.tsv). The rules, the ID translation and the duplicate rule are written here
#    from sspbc's documented behaviour; the classifier is e1071's own predict().
# 2. With the sspbc source package as argument (downloaded by the user; not redistributed):
#    sspbc's own applySSP() on its example matrix (9 samples, FPKM) for two models
#    (sspbc_testmatrix_r.tsv).
suppressPackageStartupMessages(library(e1071))
args <- commandArgs(trailingOnly = TRUE)
dir <- "tests/data/single_sample"
set.seed(20261204)

# --- 1. SIMULATED model ---------------------------------------------------------------------
ann <- data.frame(
  Gene.ID = c("ENSG00000141736.13", "ENSG00000091831.23", "ENSG00000082175.14",
              "ENSG00000141738.13", "ENSG00000129514.5", "ENSG00000186081.11",
              "ENSG00000148773.13", "ENSG00000171791.12", "ENSG00000134057.14",
              "ENSG00000054598.6"),
  Gene.Name = c("ERBB2", "ESR1", "PGR", "GRB7", "FOXA1", "KRT5", "MKI67", "BCL2", "CCNB1",
                "FOXC1"),
  HGNC = c("ERBB2", "ESR1", "PGR", "GRB7", "FOXA1", "KRT5", "MKI67", "BCL2", "CCNB1", "FOXC1"),
  EntrezGene = c("2064", "2099", "5241", "2886", "3169", "3852", "4288", "596", "891", "2296"),
  stringsAsFactors = FALSE
)
genes <- paste0("e", ann$EntrezGene)
classes <- c("Basal", "Her2", "Lum")
n_train <- c(Basal = 40, Her2 = 30, Lum = 50)
# log2 means per class (rows: genes in ann order)
mu <- cbind(
  Basal = c(5, 3, 2, 5, 3, 9, 8, 4, 8, 8),
  Her2 = c(11, 5, 3, 10, 6, 5, 7, 5, 7, 4),
  Lum = c(6, 9, 8, 6, 9, 4, 5, 8, 5, 3)
)
simulate <- function(cls) {
  x <- 2^(mu[, cls] + rnorm(length(genes), 0, 2.5))
  round(x, 1)  # rounding makes ties (equal values within a sample) possible
}
y <- factor(rep(classes, n_train), levels = classes)
train <- sapply(as.character(y), simulate)
rownames(train) <- genes
pairs <- c("e2064<e2886", "e2099<e2064", "e3852<e2099", "e4288<e596", "e3169<e3852",
           "e5241<e891", "e2296<e3169", "e596<e4288", "e2886<e2296", "e891<e5241",
           "e2064<e3852", "e2099<e2296")
rules <- function(x) {
  r <- t(sapply(strsplit(pairs, "<"), function(p) as.numeric(x[p[1], ] < x[p[2], ])))
  rownames(r) <- pairs
  r
}
nb <- naiveBayes(data.frame(t(rules(train))), y)
nb$isnumeric[names(nb$tables)] <- TRUE
model <- list(all.pairs = pairs, k = 1, one.vs.all.tsp = list(nb),
              selected.pairs.list = list())
sspbc.models <- list(ssp.test = model)
Gene.ID.ann <- ann
save(sspbc.models, Gene.ID.ann, file = file.path(dir, "model.rda"), version = 2)

# test samples, by gene name; then the edge cases
test_y <- rep(classes, c(4, 4, 4))
test <- sapply(test_y, simulate)
rownames(test) <- ann$Gene.Name
colnames(test) <- paste0("T", seq_along(test_y))
test["ERBB2", "T1"] <- test["GRB7", "T1"]      # a tie: ERBB2 < GRB7 is FALSE
test["KRT5", "T2"] <- 0; test["ESR1", "T2"] <- 0  # a tie at zero
test["MKI67", "T3"] <- NA                        # a missing value: its rules drop out
test <- test[rownames(test) != "PGR", ]            # a gene the data lack
dup <- test["BCL2", , drop = FALSE] / 4            # BCL2 measured twice: the higher counts
rownames(dup) <- "BCL2"
test <- rbind(test, dup)
out <- data.frame(gene = rownames(test), test, check.names = FALSE)
write.table(out, file.path(dir, "expression.tsv"), sep = "\t", quote = FALSE,
            row.names = FALSE, na = "")
# R side: translate names to Entrez, keep the highest of duplicates, rules, e1071's predict()
entrez <- paste0("e", ann$EntrezGene[match(rownames(test), ann$Gene.Name)])
by_gene <- t(sapply(split(seq_len(nrow(test)), entrez), function(i) {
  apply(test[i, , drop = FALSE], 2, function(v) if (all(is.na(v))) NA else max(v, na.rm = TRUE))
}))
full <- matrix(NA_real_, length(genes), ncol(test), dimnames = list(genes, colnames(test)))
full[rownames(by_gene), ] <- by_gene
prob <- predict(nb, data.frame(t(rules(full))), type = "raw")
cl <- classes[apply(prob, 1, which.max)]
res <- data.frame(sample = colnames(test), simulated_class = test_y, subtype = cl,
                  prob, check.names = FALSE)
names(res)[4:6] <- paste0("prob_", classes)
res$rules_used <- colSums(!is.na(rules(full)))
write.table(res, file.path(dir, "predictions_r.tsv"), sep = "\t", quote = FALSE,
            row.names = FALSE)

# --- 2. sspbc's own predictor on its example matrix --------------------------------------------
if (length(args) >= 1) {
  rm(sspbc.models, Gene.ID.ann)  # the package's own data, not this script's
  lib <- tempfile("sspbc-lib")
  dir.create(lib)
  install.packages(args[1], repos = NULL, type = "source", lib = lib, quiet = TRUE)
  suppressPackageStartupMessages(library(sspbc, lib.loc = lib))
  data(testmatrix, package = "sspbc")
  rows <- list()
  for (m in c("ssp.pam50", "ssp.subtype")) {
    r <- applySSP(gex = testmatrix, id = rownames(testmatrix), ssp.name = m, id.type = "Gene.ID",
                  full.out = TRUE)
    p <- r$all.probs[[1]]
    for (j in seq_len(ncol(testmatrix))) {
      rows[[length(rows) + 1]] <- data.frame(
        model = m, sample = colnames(testmatrix)[j], subtype = r$cl[j, 1],
        class = colnames(p), prob = as.numeric(p[j, ]))
    }
  }
  res <- do.call(rbind, rows)
  res$sspbc <- as.character(packageVersion("sspbc", lib.loc = lib))
  res$e1071 <- as.character(packageVersion("e1071"))
  write.table(res, file.path(dir, "sspbc_testmatrix_r.tsv"), sep = "\t", quote = FALSE,
              row.names = FALSE)
}
