// The environment an inference service needs to reach a test storage and registry on 127.0.0.1 (any free port).
export interface StorageAccessForTests {
  url: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

export function inferenceEnv(storage: StorageAccessForTests, registryUrl: string): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    STORAGE_URL: storage.url,
    STORAGE_ACCESS_KEY: storage.accessKey,
    STORAGE_SECRET_KEY: storage.secretKey,
    STORAGE_REGION: storage.region,
    REGISTRY_URL: registryUrl,
  };
}
