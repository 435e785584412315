#pragma once
// The fall detector's settings; every time is in seconds of stream time. Defaults in brackets
// are documented in proto/gateway/v1/policy.proto (FallDetector) and docs/DETECTORS.md.
namespace gw::detectors::fall {

struct FallParams {
  // Silhouettes (background subtraction).
  int work_width = 320;              // frames are scaled down to this width first
  double background_seconds = 1;     // how fast the background absorbs still things
  double min_area_fraction = 0.004;  // smallest silhouette, as a fraction of the frame
  // Both cues.
  double fall_window_seconds = 2.0;  // the drop from upright to lying must happen within this
  double confirm_seconds = 1.0;      // down, and not up again, this long raises the alarm
  double cooldown_seconds = 30;      // no second alarm for the same camera within this
  // The silhouette's cue.
  double min_drop = 0.4;           // the silhouette's top comes down this share of its height
  double max_lying_height = 0.6;   // lying silhouette height / upright height, at most
  double lying_aspect = 1.2;       // lying: box width/height at least this, or a flat ellipse
  double max_still_motion = 0.35;  // centroid travel while confirming, in upright heights
  // The pose's cue (BodyPix keypoints, per tracked person).
  double pose_min_drop = 0.6;           // the head and shoulders come down this share of the
                                        // person's standing height
  double pose_max_lying_extent = 0.45;  // then the keypoints span at most this share of it
                                        // vertically (lying, not sitting or crouching)
  double pose_upright_extent = 0.55;    // a pose spanning this share again, upright, is someone
                                        // sitting or standing: it cancels a candidate of either cue
  double min_person_height = 0.25;      // people shorter than this share of the frame are too
                                        // small for their pose to be judged
};

}  // namespace gw::detectors::fall
