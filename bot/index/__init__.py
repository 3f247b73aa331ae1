"""Search indexes: full text in the database, dense vectors in memory, fused ranking."""
