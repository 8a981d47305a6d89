"""Standards at the edges: FHIR R4 export/import and HL7 v2 device observations (later issues)."""
