//! Property tests of the analysis (being written).
