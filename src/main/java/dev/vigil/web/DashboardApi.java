package dev.vigil.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.stream.Alert;
import dev.vigil.stream.Feedback;
import dev.vigil.stream.FeedbackPublisher;
import dev.vigil.stream.KafkaConnection;
import dev.vigil.stream.ModelPublisher;
import dev.vigil.stream.ModelVersions;
import io.javalin.config.RoutesConfig;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.Context;
import io.javalin.http.NotFoundResponse;
import io.javalin.http.sse.SseClient;
import dev.vigil.untrusted.LogText;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The dashboard's JSON and image API over a {@link DashboardFeed}, the model actions (list, activate) over the
 * models topic, and operators' confirmations over the feedback topic:
 * <pre>
 * GET  /api/cameras                          camera tiles: state, score, threshold, model version, recent scores
 * GET  /api/cameras/{camera}                 one camera: 300 scores, its alerts
 * GET  /api/cameras/{camera}/frame?seq=N     a recent frame (N if still kept, else the newest)
 * GET  /api/cameras/{camera}/map             the latest anomaly map, grey PNG (level v = v / 255 * scale)
 * GET  /api/cameras/{camera}/normal          the frame its model scored lowest: what it learnt as normal
 * GET  /api/cameras/{camera}/models          versions on the models topic: the one the scorer uses, those it
 *                                            refused (with why), the one asked for it has not taken yet
 * POST /api/cameras/{camera}/models/{v}/activate   roll back or forward to a stored version
 * GET  /api/alerts?camera=C                  recent alerts, newest first
 * POST /api/alerts/{id}/ack                  acknowledge
 * POST /api/alerts/{id}/normal               confirm its frames as normal (a false alarm): the scorer refines the
 *                                            camera's model from them (vigil.feedback); optional body
 *                                            {"reason": "..."}
 * GET  /api/snapshots/{key}                  an alert's snapshot JPEG
 * GET  /api/events                           server-sent events: score, alert, snapshot, status
 * </pre>
 */
public final class DashboardApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final DashboardFeed feed;
    private final KafkaConnection kafka;

    /** @param kafka where the models and feedback topics are, for the model actions and the confirmations */
    public DashboardApi(DashboardFeed feed, KafkaConnection kafka) {
        this.feed = feed;
        this.kafka = kafka;
    }

    void routes(RoutesConfig routes) {
        routes.get("/api/cameras", ctx -> ctx.json(feed.cameras()));
        routes.get("/api/cameras/{camera}", ctx -> {
            Map<String, Object> camera = feed.camera(camera(ctx));
            if (camera == null) {
                throw new NotFoundResponse("no camera " + camera(ctx) + " seen on the topics");
            }
            ctx.json(camera);
        });
        routes.get("/api/cameras/{camera}/frame", ctx -> {
            long seq = parseLong(ctx.queryParam("seq"), -1, "seq");
            image(ctx, feed.frame(camera(ctx), seq), "no frame of camera " + camera(ctx));
        });
        routes.get("/api/cameras/{camera}/normal", ctx -> image(ctx, feed.typicalFrame(camera(ctx)),
                "no scored frame of camera " + camera(ctx) + " seen yet"));
        routes.get("/api/cameras/{camera}/map", ctx -> {
            byte[] png = feed.mapPng(camera(ctx));
            if (png == null) {
                throw new NotFoundResponse("no anomaly map of camera " + camera(ctx));
            }
            ctx.contentType("image/png").header("Cache-Control", "no-store").result(png);
        });
        routes.get("/api/cameras/{camera}/models", ctx -> ctx.json(models(camera(ctx))));
        routes.post("/api/cameras/{camera}/models/{version}/activate", ctx -> {
            String camera = camera(ctx);
            long version = parseLong(ctx.pathParam("version"), -1, "version");
            ModelVersions versions = ModelVersions.read(kafka, camera);
            if (versions.complete().stream().noneMatch(v -> v.version() == version)) {
                throw new BadRequestResponse("camera " + camera + " has no complete version " + version
                        + " on the models topic");
            }
            ModelPublisher.activate(kafka, camera, version);
            ctx.json(Map.of("camera", camera, "activated", version));
        });
        routes.get("/api/alerts", ctx -> ctx.json(feed.alerts(ctx.queryParam("camera") == null ? null : camera(ctx.queryParam("camera")),
                (int) parseLong(ctx.queryParam("limit"), 100, "limit"))));
        routes.post("/api/alerts/{id}/ack", ctx -> {
            if (!feed.acknowledge(ctx.pathParam("id"))) {
                throw new NotFoundResponse("no recent alert " + ctx.pathParam("id"));
            }
            ctx.json(Map.of("id", ctx.pathParam("id"), "acknowledged", true));
        });
        routes.post("/api/alerts/{id}/normal", this::confirmNormal);
        routes.get("/api/snapshots/{key}", ctx -> {
            byte[] jpeg = feed.snapshot(ctx.pathParam("key"));
            if (jpeg == null) {
                throw new NotFoundResponse("no snapshot " + ctx.pathParam("key") + " among the recent ones");
            }
            ctx.contentType("image/jpeg").header("Cache-Control", "private, max-age=60").result(jpeg);
        });
        routes.sse("/api/events", this::events);
    }

    /** Longest body a confirmation may carry: a reason of {@link Feedback}'s 500 characters, in JSON. */
    static final int MAX_CONFIRMATION_BYTES = 4096;

    /**
     * An operator's "normal" on an alert: its frames (or the most a confirmation covers, around its peak) go to the
     * feedback topic as a {@link Feedback}; the scorer's refinement shows in the camera's {@code refinement}.
     */
    private void confirmNormal(Context ctx) throws Exception {
        String id = ctx.pathParam("id");
        Alert alert = feed.alert(id);
        if (alert == null) {
            throw new NotFoundResponse("no recent alert " + LogText.escape(id));
        }
        String reason = null;
        byte[] body = ctx.bodyAsBytes();
        if (body.length > MAX_CONFIRMATION_BYTES) {
            throw new BadRequestResponse("a confirmation's body is at most " + MAX_CONFIRMATION_BYTES + " bytes");
        }
        if (body.length > 0) {
            try {
                JsonNode json = JSON.readTree(body);
                reason = json.hasNonNull("reason") ? json.get("reason").asText() : null;
            } catch (java.io.IOException e) {
                throw new BadRequestResponse("a confirmation's body is JSON: {\"reason\": \"...\"}");
            }
        }
        Feedback feedback;
        try {
            feedback = Feedback.normal(alert, "dashboard operator", reason == null || reason.isBlank() ? null : reason,
                    System.currentTimeMillis());
        } catch (IllegalArgumentException e) {
            throw new BadRequestResponse(e.getMessage());
        }
        FeedbackPublisher.send(kafka, feedback);
        feed.confirmNormal(id);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("camera", alert.camera());
        out.put("confirmed_normal", true);
        out.put("feedback", feedback.id());
        out.put("from_seq", feedback.fromSeq());
        out.put("to_seq", feedback.toSeq());
        ctx.json(out);
    }

    private void events(SseClient client) {
        client.keepAlive();
        Consumer<DashboardFeed.Event> listener = new Consumer<>() {
            @Override
            public void accept(DashboardFeed.Event e) {
                if (client.terminated()) {
                    feed.unlisten(this);
                    return;
                }
                client.sendEvent(e.type(), e.body());
            }
        };
        client.onClose(() -> feed.unlisten(listener));
        client.sendComment("vigil dashboard events");
        feed.listen(listener);
    }

    private List<Map<String, Object>> models(String camera) throws Exception {
        ModelVersions versions = ModelVersions.read(kafka, camera);
        List<Map<String, Object>> out = new ArrayList<>();
        for (ModelVersions.Version v : versions.all()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("version", v.version());
            m.put("bytes", v.totalBytes());
            m.put("complete", v.complete());
            // as `vigil model list` says it: the scorer's report decides what is active, pending or refused
            ModelVersions.State state = versions.state(v);
            m.put("state", state.word());
            m.put("active", state == ModelVersions.State.ACTIVE);
            versions.refusal(v.version()).ifPresent(r -> m.put("refused_reason", r.reason()));
            out.add(m);
        }
        return out;
    }

    private static void image(Context ctx, DashboardFeed.FrameImage frame, String missing) {
        if (frame == null) {
            throw new NotFoundResponse(missing);
        }
        ctx.contentType(frame.contentType()).header("Cache-Control", "no-store")
                .header("X-Vigil-Seq", Long.toString(frame.seq())).result(frame.bytes());
    }

    private static long parseLong(String value, long otherwise, String name) {
        if (value == null || value.isBlank()) {
            return otherwise;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new BadRequestResponse(name + " must be a whole number, got '" + value + "'");
        }
    }

    /** The request's camera id, checked by the rule every camera id follows: a bad one is a 400 naming it escaped. */
    private static String camera(io.javalin.http.Context ctx) {
        return camera(ctx.pathParam("camera"));
    }

    private static String camera(String id) {
        String problem = dev.vigil.untrusted.CameraId.problem(id);
        if (problem != null) {
            throw new io.javalin.http.BadRequestResponse(problem);
        }
        return id;
    }
}
