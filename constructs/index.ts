export { ExalateProvider, type ExalateProviderProps, type ExalateNodeConfig } from './provider';
export { ExalateConnection, type ExalateConnectionProps, type ExalateTriggerProps } from './connection';
export { ExalateConnectionsFromYaml, type ExalateConnectionsFromYamlProps } from './from-yaml';
