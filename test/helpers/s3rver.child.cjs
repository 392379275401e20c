// Runs s3rver in its own process. Started with --openssl-legacy-provider: s3rver makes
// ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its legacy provider.
const S3rver = require('s3rver');
const [directory, bucket] = process.argv.slice(2);
// The bucket CORS rule docs/operations.md asks operators to set, so browsers on other origins
// can follow download redirects to presigned GETs (with Range) and read the headers they need.
const cors = `<CORSConfiguration><CORSRule>
  <AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>
  <AllowedHeader>range</AllowedHeader>
  <ExposeHeader>Content-Length</ExposeHeader><ExposeHeader>Content-Range</ExposeHeader><ExposeHeader>Accept-Ranges</ExposeHeader><ExposeHeader>ETag</ExposeHeader>
  <MaxAgeSeconds>86400</MaxAgeSeconds>
</CORSRule></CORSConfiguration>`;
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [cors] }] });
server.run().then(({ port }) => process.stdout.write(`${JSON.stringify({ port })}\n`));
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
