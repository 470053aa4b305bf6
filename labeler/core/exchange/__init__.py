"""Exchange formats: CSV, Camtrap DP, MegaDetector batch output and COCO Camera Traps."""
