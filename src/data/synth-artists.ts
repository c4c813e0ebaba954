/**
 * The 31 artists of the reference project and how many paintings each had in its data set
 * ("Best Artworks of All Time", as listed in the reference's classes.csv). The synthetic data
 * set keeps these names (spaces as underscores, accents dropped) and these proportions.
 */
export const REFERENCE_ARTISTS: ReadonlyArray<readonly [string, number]> = [
  ['Vincent van Gogh', 877],
  ['Edgar Degas', 702],
  ['Pablo Picasso', 439],
  ['Pierre-Auguste Renoir', 336],
  ['Albrecht Dürer', 328],
  ['Paul Gauguin', 311],
  ['Francisco Goya', 291],
  ['Rembrandt', 262],
  ['Alfred Sisley', 259],
  ['Titian', 255],
  ['Marc Chagall', 239],
  ['Rene Magritte', 194],
  ['Amedeo Modigliani', 193],
  ['Paul Klee', 188],
  ['Henri Matisse', 186],
  ['Andy Warhol', 181],
  ['Mikhail Vrubel', 171],
  ['Sandro Botticelli', 164],
  ['Leonardo da Vinci', 143],
  ['Peter Paul Rubens', 141],
  ['Salvador Dali', 139],
  ['Hieronymus Bosch', 137],
  ['Pieter Bruegel', 134],
  ['Diego Velazquez', 128],
  ['Kazimir Malevich', 126],
  ['Frida Kahlo', 120],
  ['Giotto di Bondone', 119],
  ['Gustav Klimt', 117],
  ['Raphael', 109],
  ['Joan Miro', 102],
  ['Andrei Rublev', 99],
];

/** A folder name for an artist: ASCII letters, digits, `-` and `_`. */
export function artistFolderName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9-]+/g, '_');
}
