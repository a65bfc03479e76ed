"""odata CKAN plugin: Solr-free search, bilingual DCAT-AP_IT schema and RDF profile."""
