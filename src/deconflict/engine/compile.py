"""Declarations into pieces: the unit the index stores and the exact check measures."""

from __future__ import annotations

from deconflict.geo.declaration import Declaration
from deconflict.geo.pieces import Piece, pieces_of


def compile_pieces(declaration: Declaration) -> list[Piece]:
    """All pieces of all volumes, each tagged with its volume's position."""
    pieces: list[Piece] = []
    for number, volume in enumerate(declaration.volumes):
        pieces.extend(pieces_of(volume, number))
    return pieces
