package dev.vigil.evaluation;

import java.util.List;
import java.util.Map;

/** The Markdown summary of an evaluation report. */
final class Summary {
    private Summary() {
    }

    static String markdown(Map<String, Object> r, Dataset dataset) {
        StringBuilder md = new StringBuilder();
        md.append("# Vigil evaluation: ").append(dataset.root().getFileName()).append(" (").append(r.get("layout"))
                .append(")\n\n");
        md.append("| metric | value |\n| --- | --- |\n");
        md.append(row("image AUROC", r.get("image_auroc")));
        md.append(row("pixel AUROC", r.get("pixel_auroc")));
        md.append(row("PRO (FPR <= " + r.get("pro_max_fpr") + ")", r.get("pro")));
        md.append("\n| setting | value |\n| --- | --- |\n");
        for (String key : List.of("backbone", "execution_provider", "features", "seed", "preprocessing", "input_size",
                "grid_size", "frame_codec", "train_images", "fitted_frames", "test_images", "test_anomalous",
                "pixel_metric_images", "fit_seconds", "score_images_per_second")) {
            md.append(row(key.replace('_', ' '), r.get(key)));
        }
        md.append('\n');
        if (!dataset.withoutMask().isEmpty()) {
            md.append("**Pixel metrics** use ").append(r.get("pixel_metric_images"))
                    .append(" test images: the anomalous ones that have a ground-truth mask and all normal ones. ")
                    .append(dataset.withoutMask().size())
                    .append(" anomalous test images have no mask and count only in the image AUROC.\n\n");
        }
        md.append("Default threshold (").append(r.get("threshold_rule")).append("): see `threshold` in report.json; ")
                .append("at that threshold the image-level rates are ").append(r.get("threshold_image_tpr_fpr"))
                .append(".\n\n");
        md.append("![ROC](roc.png)\n\nHighest-scored test images (mask outline in magenta):\n\n")
                .append("![highest](overlays_highest.png)\n\nLowest-scored:\n\n![lowest](overlays_lowest.png)\n");
        return md.toString();
    }

    private static String row(String name, Object value) {
        String v = value instanceof Double d ? String.format("%.4f", d) : String.valueOf(value);
        return "| " + name + " | " + v + " |\n";
    }
}
