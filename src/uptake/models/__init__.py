"""Statistics on small aggregated frames (numpy / scipy): Rogers' adopter categories, Bass
diffusion and more. Each model is its own module; nothing here touches an engine."""
