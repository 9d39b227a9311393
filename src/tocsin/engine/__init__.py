"""Where an analysis runs: in this process, or split by space over Apache Spark. Either way the
same pure function runs on each piece (``partition`` says how the pieces are cut)."""
