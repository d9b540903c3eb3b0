/** Types for svg-to-pdfkit 0.1.x (the package ships none). */
declare module 'svg-to-pdfkit' {
  interface SVGtoPDFOptions {
    width?: number;
    height?: number;
    preserveAspectRatio?: string;
    useCSS?: boolean;
    fontCallback?: (family: string, bold: boolean, italic: boolean, fontOptions: { fauxItalic: boolean; fauxBold: boolean }) => string;
    imageCallback?: (link: string) => string;
    documentCallback?: (file: string) => unknown;
    colorCallback?: (color: [number[], number]) => [number[], number];
    warningCallback?: (message: string) => void;
    assumePt?: boolean;
    precision?: number;
  }
  function SVGtoPDF(doc: PDFKit.PDFDocument, svg: string, x?: number, y?: number, options?: SVGtoPDFOptions): void;
  export default SVGtoPDF;
}
