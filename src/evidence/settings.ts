/** Where a finished pack is downloaded, and the purpose its links are signed for. */
export const DOWNLOAD_PATH = "/evidence/download";
export const DOWNLOAD_PURPOSE = "evidence-pack-download";
