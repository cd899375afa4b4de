package io.sluice.storage;

import io.minio.AbortMultipartUploadArgs;
import io.minio.BucketExistsArgs;
import io.minio.CompleteMultipartUploadArgs;
import io.minio.CreateMultipartUploadArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.PutObjectAPIArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.UploadPartArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;
import io.minio.messages.Item;
import io.minio.messages.Part;
import io.sluice.SluiceException;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;

/**
 * An {@link ObjectStore} in an S3-compatible bucket ({@code s3://BUCKET[/PREFIX]}) through minio-java:
 * transient failures are retried per {@link RetryPolicy}, and a store that stays down fails the call
 * with one {@link SluiceException.Kind#UNAVAILABLE} line naming it; a failed put leaves no object.
 */
public final class S3ObjectStore implements ObjectStore {
    /** Objects larger than this are uploaded in parts of this size, one part in memory at a time. */
    public static final long DEFAULT_PART_SIZE = 16L * 1024 * 1024;
    private static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    private static final Set<String> RETRYABLE_CODES =
            Set.of("InternalError", "RequestTimeout", "ServiceUnavailable", "SlowDown", "RequestTimeTooSkewed");

    private final String uri;
    private final String endpoint;
    private final String bucket;
    private final String prefix;
    private final MinioAsyncClient client;
    private final RetryPolicy retry;
    private final long partSize;

    /**
     * Opens {@code s3://BUCKET[/PREFIX]} with the endpoint and credentials in {@code env}
     * ({@code AWS_ENDPOINT_URL_S3} or {@code AWS_ENDPOINT_URL}, {@code AWS_ACCESS_KEY_ID},
     * {@code AWS_SECRET_ACCESS_KEY}, {@code AWS_REGION}), creating the bucket if it is missing.
     */
    public S3ObjectStore(String uri, Map<String, String> env, RetryPolicy retry, long partSize) throws IOException {
        if (!uri.startsWith("s3://") || uri.length() == "s3://".length()) {
            throw SluiceException.invalid("invalid S3 store URI '" + uri + "': expected s3://BUCKET[/PREFIX]");
        }
        if (partSize < MIN_PART_SIZE || partSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("S3 part size must be between 5 MiB and 2 GiB: " + partSize);
        }
        String path = uri.substring("s3://".length()).replaceAll("/+$", "");
        int slash = path.indexOf('/');
        this.bucket = slash < 0 ? path : path.substring(0, slash);
        this.prefix = slash < 0 ? "" : Keys.check(path.substring(slash + 1)) + "/";
        this.uri = "s3://" + path;
        this.retry = retry;
        this.partSize = partSize;
        String configured = env.getOrDefault("AWS_ENDPOINT_URL_S3", env.get("AWS_ENDPOINT_URL"));
        String region = env.getOrDefault("AWS_REGION", "us-east-1");
        this.endpoint = configured == null || configured.isBlank() ? "https://s3." + region + ".amazonaws.com" : configured;
        this.client = newClient(env, region);
        ensureBucket();
    }

    /** Opens the store with the default retry policy and part size. */
    public static S3ObjectStore open(String uri, Map<String, String> env) throws IOException {
        return new S3ObjectStore(uri, env, RetryPolicy.DEFAULT, DEFAULT_PART_SIZE);
    }

    private MinioAsyncClient newClient(Map<String, String> env, String region) {
        // Our own client, without minio's status-retry interceptor: RetryPolicy is the one retry loop.
        OkHttpClient http = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(5))
                .readTimeout(Duration.ofSeconds(60))
                .writeTimeout(Duration.ofSeconds(60))
                .protocols(List.of(Protocol.HTTP_1_1))
                .build();
        MinioAsyncClient.Builder builder = MinioAsyncClient.builder()
                .endpoint(endpoint)
                .region(region)
                .httpClient(http, true);
        String accessKey = env.get("AWS_ACCESS_KEY_ID");
        if (accessKey != null && !accessKey.isEmpty()) {
            builder.credentials(accessKey, env.getOrDefault("AWS_SECRET_ACCESS_KEY", ""));
        }
        try {
            MinioAsyncClient built = builder.build();
            built.disableVirtualStyleEndpoint();
            return built;
        } catch (IllegalArgumentException e) {
            throw SluiceException.invalid("invalid S3 endpoint '" + endpoint + "': " + e.getMessage());
        }
    }

    private void ensureBucket() throws IOException {
        try {
            if (call(uri, () -> client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()).join())) {
                return;
            }
            call(uri, () -> client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build()).join());
        } catch (IllegalArgumentException e) {
            throw SluiceException.invalid("invalid S3 store URI '" + uri + "': " + e.getMessage());
        } catch (SluiceException e) {
            // Another process may have created it between our check and our create.
            if (!(e.getCause() instanceof ErrorResponseException error
                    && error.errorResponse().code().startsWith("BucketAlready"))) {
                throw e;
            }
        }
    }

    @Override
    public void put(String key, InputStream data, long length) throws IOException {
        String object = prefix + Keys.check(key);
        Keys.checkNotNegative(length, "length");
        if (length <= partSize) {
            byte[] bytes = readFully(data, new byte[(int) length], (int) length, key);
            call(key, () -> client.putObject(PutObjectAPIArgs.builder().bucket(bucket).object(object)
                    .data(bytes, bytes.length).build()).join());
            return;
        }
        // Parts are buffered one at a time so each can be retried without re-reading the caller's stream;
        // the object only becomes visible when the upload completes.
        String uploadId = call(key, () -> client.createMultipartUpload(CreateMultipartUploadArgs.builder()
                .bucket(bucket).object(object).build()).join()).result().uploadId();
        boolean done = false;
        try {
            byte[] buffer = new byte[(int) partSize];
            List<Part> parts = new ArrayList<>();
            for (long sent = 0; sent < length; ) {
                int size = (int) Math.min(partSize, length - sent);
                readFully(data, buffer, size, key);
                int number = parts.size() + 1;
                parts.add(call(key, () -> client.uploadPart(UploadPartArgs.builder().bucket(bucket).object(object)
                        .uploadId(uploadId).partNumber(number).data(buffer, size).build()).join()).part());
                sent += size;
            }
            call(key, () -> client.completeMultipartUpload(CompleteMultipartUploadArgs.builder().bucket(bucket)
                    .object(object).uploadId(uploadId).parts(parts.toArray(Part[]::new)).maxRetries(1).build()).join());
            done = true;
        } finally {
            if (!done) {
                abort(object, uploadId);
            }
        }
    }

    /** Best effort: a store that is down cannot be told, and the unfinished upload is invisible anyway. */
    private void abort(String object, String uploadId) {
        try {
            client.abortMultipartUpload(AbortMultipartUploadArgs.builder().bucket(bucket).object(object)
                    .uploadId(uploadId).build()).join();
        } catch (RuntimeException ignored) {
            // the bucket's lifecycle rules or a later gc reclaim abandoned parts
        }
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        String object = prefix + Keys.check(key);
        Keys.checkNotNegative(offset, "offset");
        GetObjectArgs.Builder args = GetObjectArgs.builder().bucket(bucket).object(object);
        if (offset > 0 || length >= 0) {
            // S3 refuses a range that starts past the end (even of an empty object), so clamp it first.
            long size = call(key, () -> client.statObject(StatObjectArgs.builder().bucket(bucket).object(object)
                    .build()).join()).size();
            long count = length < 0 ? size - offset : Math.min(length, size - offset);
            if (count <= 0) {
                return new ByteArrayInputStream(new byte[0]);
            }
            args.offset(offset).length(count);
        }
        GetObjectArgs built = args.build();
        return call(key, () -> client.getObject(built).join());
    }

    @Override
    public boolean exists(String key) throws IOException {
        String object = prefix + Keys.check(key);
        try {
            call(key, () -> client.statObject(StatObjectArgs.builder().bucket(bucket).object(object).build()).join());
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    @Override
    public List<String> list(String keyPrefix) throws IOException {
        String full = prefix + Keys.checkPrefix(keyPrefix);
        return call(uri, () -> {
            List<String> keys = new ArrayList<>();
            for (Result<Item> result : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(full)
                    .recursive(true).build())) {
                keys.add(result.get().objectName().substring(prefix.length()));
            }
            Collections.sort(keys);
            return keys;
        });
    }

    @Override
    public void delete(String key) throws IOException {
        String object = prefix + Keys.check(key);
        call(key, () -> client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(object).build()).join());
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public void close() throws IOException {
        client.close();
    }

    /** One request to S3, which may be tried again; see {@link #call}. */
    @FunctionalInterface
    private interface Request<T> {
        T run() throws Exception;
    }

    /**
     * Runs {@code request} about {@code key}, retrying transient failures per the policy. A missing object comes out as
     * {@link NoSuchFileException}; anything else that does not succeed as one UNAVAILABLE line.
     */
    private <T> T call(String key, Request<T> request) throws IOException {
        long start = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            Throwable failure;
            try {
                return request.run();
            } catch (Exception e) {
                failure = unwrap(e);
            }
            if (failure instanceof ErrorResponseException error && isMissing(error)) {
                throw new NoSuchFileException(key);
            }
            if (failure instanceof IllegalArgumentException invalid) {
                throw invalid;
            }
            Duration delay = retry.delayAfter(attempt);
            boolean again = isTransient(failure) && attempt < retry.maxAttempts()
                    && Duration.ofNanos(System.nanoTime() - start).plus(delay).compareTo(retry.maxTotal()) <= 0;
            if (!again) {
                throw SluiceException.unavailable("object store " + uri + " is unavailable: " + describe(failure)
                        + " (endpoint " + endpoint + ")", failure);
            }
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while retrying object store " + uri);
            }
        }
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static boolean isMissing(ErrorResponseException e) {
        String code = e.errorResponse().code();
        return "NoSuchKey".equals(code) || "NoSuchObject".equals(code);
    }

    /** Network trouble, timeouts and 5xx answers are worth another try; refusals such as AccessDenied are not. */
    private static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ErrorResponseException error) {
                return RETRYABLE_CODES.contains(error.errorResponse().code())
                        || (error.response() != null && error.response().code() >= 500);
            }
            if (t instanceof ServerException || t instanceof InvalidResponseException || t instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    /** The innermost message worth showing a user, on one line. */
    private static String describe(Throwable e) {
        if (e instanceof ErrorResponseException error) {
            return error.errorResponse().code() + ": " + error.errorResponse().message();
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.replaceAll("\\s+", " ").trim();
    }

    private static byte[] readFully(InputStream in, byte[] buffer, int size, String key) throws IOException {
        int n = in.readNBytes(buffer, 0, size);
        if (n != size) {
            throw new EOFException("object " + key + ": the stream ended " + (size - n) + " bytes early");
        }
        return buffer;
    }
}
