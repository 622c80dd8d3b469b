// The map's style: a background and the platform's own GeoJSON, nothing else (no tiles, no glyphs,
// no sprites: the console works offline). Labels are HTML markers, so no font is ever fetched.

import type { FeatureCollection } from "geojson";
import type { ExpressionSpecification, StyleSpecification } from "maplibre-gl";
import { ROOM_KIND_COLOURS } from "../../shared/labels";

export const EMPTY = { type: "FeatureCollection", features: [] } as const;

export const SOURCES = ["zones", "villages", "rooms", "places", "houses", "rings", "checkpoints", "track"] as const;
export type SourceId = (typeof SOURCES)[number];

const roomColour: ExpressionSpecification = [
  "match",
  ["get", "kind"],
  ...Object.entries(ROOM_KIND_COLOURS).flat(),
  "#444444",
] as unknown as ExpressionSpecification;

export function baseStyle(): StyleSpecification {
  const sources: StyleSpecification["sources"] = {};
  for (const id of SOURCES) sources[id] = { type: "geojson", data: EMPTY as unknown as FeatureCollection };
  return {
    version: 8,
    sources,
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#eef1f4" } },
      {
        id: "rings-fill",
        type: "fill",
        source: "rings",
        paint: { "fill-color": "#fdae6b", "fill-opacity": 0.12 },
      },
      {
        id: "rings-line",
        type: "line",
        source: "rings",
        paint: { "line-color": "#e6550d", "line-width": 1.5, "line-dasharray": [3, 2] },
      },
      {
        id: "zones-fill",
        type: "fill",
        source: "zones",
        paint: { "fill-color": "#c6dbef", "fill-opacity": 0.35 },
      },
      {
        id: "zones-line",
        type: "line",
        source: "zones",
        filter: ["!=", ["get", "approximate"], true],
        paint: { "line-color": "#2171b5", "line-width": 1.2 },
      },
      {
        // A zone without a recorded boundary, drawn around its villages and rooms.
        id: "zones-line-approximate",
        type: "line",
        source: "zones",
        filter: ["==", ["get", "approximate"], true],
        paint: { "line-color": "#2171b5", "line-width": 1.2, "line-dasharray": [2, 2] },
      },
      {
        id: "houses",
        type: "circle",
        source: "houses",
        minzoom: 13,
        paint: {
          "circle-radius": 2.5,
          "circle-color": ["case", ["get", "rental"], "#fd8d3c", "#969696"],
        },
      },
      {
        id: "villages",
        type: "circle",
        source: "villages",
        paint: {
          "circle-radius": ["case", ["get", "gap"], 7, 4],
          "circle-color": ["case", ["get", "gap"], "#ffffff", "#74c476"],
          "circle-stroke-color": ["case", ["get", "gap"], "#cb181d", "#238b45"],
          "circle-stroke-width": ["case", ["get", "gap"], 3, 1],
        },
      },
      {
        id: "places",
        type: "circle",
        source: "places",
        paint: {
          "circle-radius": 5,
          "circle-color": ["case", ["get", "overdue"], "#a50f15", "#fcbba1"],
          "circle-stroke-color": "#67000d",
          "circle-stroke-width": 1,
        },
      },
      {
        id: "checkpoints",
        type: "circle",
        source: "checkpoints",
        paint: {
          "circle-radius": 6,
          "circle-color": "#fee391",
          "circle-stroke-color": "#000000",
          "circle-stroke-width": 2,
        },
      },
      {
        id: "rooms-gap",
        type: "circle",
        source: "rooms",
        filter: ["==", ["get", "gap"], true],
        paint: {
          "circle-radius": 12,
          "circle-color": "rgba(0,0,0,0)",
          "circle-stroke-color": "#cb181d",
          "circle-stroke-width": 3,
        },
      },
      {
        id: "rooms",
        type: "circle",
        source: "rooms",
        paint: {
          "circle-radius": 7,
          "circle-color": roomColour,
          "circle-stroke-color": "#ffffff",
          "circle-stroke-width": 2,
        },
      },
      {
        id: "track",
        type: "line",
        source: "track",
        paint: { "line-color": "#54278f", "line-width": 3, "line-opacity": 0.8 },
      },
    ],
  };
}

/** Zones coloured by residents (R-POP-7) when the density layer is on. */
export function densityPaint(max: number): ExpressionSpecification {
  return [
    "interpolate",
    ["linear"],
    ["coalesce", ["get", "population"], 0],
    0,
    "#f7fbff",
    Math.max(1, max * 0.5),
    "#6baed6",
    Math.max(2, max),
    "#08306b",
  ];
}
