// The registry's wire types, named and shaped as in MLflow's REST API (model registry subset).

export interface Tag {
  key: string;
  value: string;
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: 'None';
  description: string;
  source: string;
  run_id: string;
  status: 'READY';
  tags: Tag[];
  aliases: string[];
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string;
  latest_versions: ModelVersion[];
  aliases: { alias: string; version: string }[];
  tags: Tag[];
}

/** A parsed `filter_string`: true when a registered model name matches. */
export type NameFilter = (name: string) => boolean;
