"""Named kernels: relationship and similarity matrices with ids.

Every builder returns a `Kernel`, scaled to mean diagonal 1 by default, with its PSD
handling and provenance recorded. numpy/scipy only (bed-reader for PLINK files).
"""

from bayeslmm.kernels.grm import grm
from bayeslmm.kernels.ids import normalize_ids
from bayeslmm.kernels.imprinting import ParentOfOrigin, gametic_relationship, parent_of_origin
from bayeslmm.kernels.io import read_matrix, write_matrix
from bayeslmm.kernels.kernel import Kernel
from bayeslmm.kernels.ops import hadamard, loco
from bayeslmm.kernels.pedigree import PedigreeInverse, inbreeding, pedigree
from bayeslmm.kernels.similarity import methylation, microbiome
from bayeslmm.kernels.spatial import spatial

__all__ = [
    "Kernel",
    "grm",
    "pedigree",
    "microbiome",
    "methylation",
    "spatial",
    "hadamard",
    "loco",
    "read_matrix",
    "write_matrix",
    "normalize_ids",
    "inbreeding",
    "PedigreeInverse",
    "parent_of_origin",
    "gametic_relationship",
    "ParentOfOrigin",
]
