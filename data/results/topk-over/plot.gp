# mixrate plot: gnuplot plot.gp (in this directory)
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
    set terminal pngcairo size 900,640 enhanced font 'sans,11'; set output 'plot.png'
} else { if (strstrt(GPVAL_TERMINALS, ' png ') > 0) {
    set terminal png size 900,640; set output 'plot.png'
} else {
    set terminal svg size 900,640; set output 'plot.svg'
} }
set datafile separator ','
set logscale xy
set offsets graph 0.03, graph 0.03, 0, 0
set format x '10^{%T}'
set xlabel 'sample size N'
set ylabel 'D2 loss'
set title "topk, k = 4 fitted, k* = 3 true, normal design, near-truth start" noenhanced
set key bottom left box opaque
set grid
slope = -1.0987354878680358; intercept = 11.737000671367998
f(x) = exp(intercept) * x**slope
plot 'results.csv' skip 1 using 1:4 with points pt 7 ps 0.25 lc rgb '#b0b0b0' title 'replicates', \
     'summary.csv' skip 1 using 1:3 with points pt 7 ps 0.8 lc rgb '#1f4e9c' title 'mean over 20 replicates', \
     f(x) with lines lw 2 lc rgb '#c0392b' title sprintf('least squares: slope %.3f, 95%% CI [%.3f, %.3f]', slope, -2.0635712792912653, -0.13389969644480637)
