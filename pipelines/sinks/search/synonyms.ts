// Synonym groups for both search engines: a query word finds listings using any word of its group
// ("couch" finds "sofa"). The groups and their setting (SEARCH_SYNONYMS) are read by the config;
// this module is where the search adapters take them from.
export { DEFAULT_SYNONYMS, parseSynonyms, type SynonymGroups } from '../../../core/config/search-synonyms.js';
