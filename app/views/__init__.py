"""What pages show, built from marts rows: headlines, grids, the bulletin (no Streamlit calls,
no figure computed here: every number is a column of a mart)."""
