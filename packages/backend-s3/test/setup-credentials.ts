// Credentials reach the backend only through the AWS SDK's default provider chain, as in
// production: the test servers' fixed keys go into the environment, nothing into options.
// s3rver accepts only its own key pair; moto accepts any, so the same pair serves both.
import { inject } from "vitest";

const server = inject("s3rver");
process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
