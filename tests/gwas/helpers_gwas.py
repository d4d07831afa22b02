"""A structured population simulated with msprime, for the GWAS validation tests.

Two demes of Ne = 10,000 exchange migrants (island model, m = 5e-4 per generation, 4Nm = 20,
F_ST about 0.013); 300 diploids are sampled from each. Each chromosome is 8 independent
1 Mb segments (recombination 1e-8 per bp within a segment, free between segments), so linkage
is realistic within a segment and the number of nearly independent SNPs is large enough for
lambda_GC to be stable. SNPs with minor allele frequency >= 0.05 are kept, at most 3,000 per
chromosome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Population:
    G: np.ndarray  # (n, m) int8 allele counts
    chromosomes: np.ndarray
    positions: np.ndarray
    deme: np.ndarray  # 0/1 per sample


def structured_population(seed: int = 1, *, n_per_deme: int = 300, n_chromosomes: int = 5, segments: int = 8,
                          segment_length: int = 1_000_000, ne: float = 10_000, migration: float = 5e-4,
                          max_snps: int = 3000, maf: float = 0.05) -> Population:
    import msprime

    rng = np.random.default_rng(seed)
    demography = msprime.Demography.island_model([ne, ne], migration_rate=migration)
    samples = {"pop_0": n_per_deme, "pop_1": n_per_deme}
    blocks, chromosomes, positions = [], [], []
    for chrom in range(1, n_chromosomes + 1):
        parts, where = [], []
        for k in range(segments):
            s = int(rng.integers(1, 2**31))
            ts = msprime.sim_ancestry(samples=samples, demography=demography, sequence_length=segment_length,
                                      recombination_rate=1e-8, ploidy=2, random_seed=s)
            ts = msprime.sim_mutations(ts, rate=1e-8, random_seed=s, model=msprime.BinaryMutationModel())
            haplotypes = ts.genotype_matrix()
            counts = haplotypes[:, 0::2] + haplotypes[:, 1::2]  # consecutive sample nodes form one diploid
            freq = counts.mean(axis=1) / 2
            keep = np.minimum(freq, 1 - freq) >= maf
            parts.append(counts[keep])
            where.append(k * segment_length + ts.tables.sites.position[keep])
        G, pos = np.vstack(parts), np.concatenate(where)
        keep = np.arange(G.shape[0])
        if keep.size > max_snps:
            keep = np.sort(rng.choice(keep, max_snps, replace=False))
        blocks.append(G[keep].T.astype(np.int8))
        chromosomes.append(np.full(keep.size, chrom))
        positions.append(pos[keep].astype(np.int64) + 1)
    return Population(np.hstack(blocks), np.concatenate(chromosomes), np.concatenate(positions),
                      np.repeat([0, 1], n_per_deme))
