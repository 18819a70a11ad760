# R DESeq2 on one design, for the side-by-side timing of benchmarks/de_benchmark.py.
#
#   Rscript benchmarks/r_deseq2.R COUNTS COLDATA FORMULA CONTRAST WORKERS OUT
#
# COUNTS   genes x units TSV (first column: gene), the units and genes the project fits
# COLDATA  units TSV (first column: unit); every column is a factor, levels sorted, except that
#          the contrast's variable has its reference level first
# FORMULA  the design, e.g. "~ HR + pCR" or "~ patient + timepoint"
# CONTRAST "variable,target,reference", optionally followed by ";list:nameA,nameB" to test
#          results(contrast = list(nameA, nameB)) instead (interaction designs)
# WORKERS  BiocParallel MulticoreParam workers (DESeq(parallel = TRUE) when > 1)
# OUT      results TSV (gene, log2FoldChange, pvalue, padj); OUT.time holds the seconds
#
# Timed: DESeqDataSetFromMatrix + DESeq(useT = TRUE) + results(alpha = 0.05), as the project's
# defaults (de.t_test, de.alpha). Reading the files and loading the packages are not timed.
# R DESeq2 is not a dependency of the project: install it yourself to run this (e.g. Debian's
# r-bioc-deseq2); the project's set-up never does.
suppressPackageStartupMessages({
  library(DESeq2)
  library(BiocParallel)
})
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 6) stop("usage: r_deseq2.R COUNTS COLDATA FORMULA CONTRAST WORKERS OUT")
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
storage.mode(counts) <- "integer"
cd <- read.delim(args[2], row.names = 1, check.names = FALSE, colClasses = "character")
spec <- strsplit(args[4], ";")[[1]]
effect <- strsplit(spec[1], ",")[[1]]  # variable, target, reference
for (col in names(cd)) cd[[col]] <- factor(cd[[col]], levels = sort(unique(cd[[col]])))
cd[[effect[1]]] <- relevel(cd[[effect[1]]], ref = effect[3])
stopifnot(identical(colnames(counts), rownames(cd)))
design <- as.formula(args[3])
workers <- as.integer(args[5])
parallel <- workers > 1
bp <- if (parallel) MulticoreParam(workers) else SerialParam()

t0 <- proc.time()[["elapsed"]]
mm <- model.matrix(design, cd)
if (any(colSums(mm != 0) == 0)) {
  # nested individuals in groups of unequal size: drop the empty columns and pass the matrix
  # (DESeq2 vignette, "Group-specific condition effects, individuals nested within groups")
  mm <- mm[, colSums(mm != 0) > 0]
  colnames(mm) <- make.names(colnames(mm))
  dds <- DESeqDataSetFromMatrix(counts, cd, ~1)
  dds <- DESeq(dds, full = mm, useT = TRUE, quiet = TRUE, parallel = parallel, BPPARAM = bp)
} else {
  dds <- DESeqDataSetFromMatrix(counts, cd, design)
  dds <- DESeq(dds, useT = TRUE, quiet = TRUE, parallel = parallel, BPPARAM = bp)
}
if (length(spec) > 1) {
  pair <- strsplit(sub("^list:", "", spec[2]), ",")[[1]]
  res <- results(dds, contrast = list(pair[1], pair[2]), alpha = 0.05,
                 parallel = parallel, BPPARAM = bp)
} else {
  res <- results(dds, contrast = effect, alpha = 0.05, parallel = parallel, BPPARAM = bp)
}
elapsed <- proc.time()[["elapsed"]] - t0

out <- data.frame(gene = rownames(res), log2FoldChange = res$log2FoldChange,
                  pvalue = res$pvalue, padj = res$padj)
write.table(out, args[6], sep = "\t", quote = FALSE, row.names = FALSE)
writeLines(format(elapsed, digits = 6), paste0(args[6], ".time"))
